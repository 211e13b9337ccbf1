//! Helpers shared by the network tests.
// Each includer uses a different subset of these helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use mpc_party::{PartyIndex, Transport};
use tokio::net::{TcpSocket, TcpStream};

/// Polls `check` until it holds, for at most five seconds.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..100 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen within 5 s");
}

/// A TCP connection to `to` from the loopback address `from` (as from another host).
pub async fn connect_from(from: &str, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(format!("{from}:0").parse().expect("an IPv4 address"))?;
    socket.connect(to).await
}

/// Waits until `transport`'s party hears the heartbeats of exactly `live` (itself included).
pub async fn until_live(transport: &dyn Transport, live: &[PartyIndex]) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while transport.live() != live {
        assert!(
            std::time::Instant::now() < deadline,
            "party {} hears {:?}, not {live:?}",
            transport.me(),
            transport.live()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
