//! Helpers shared by the network tests.
// Each includer uses a different subset of these helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use mpc_party::transport::tcp::TcpTransport;
use mpc_party::transport::Outgoing;
use mpc_party::{MpcError, PartyIndex, SessionChannel, SessionId, Transport};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

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

/// Binds `address` again for a party restarted on its port: the dropped transport's listener
/// closes in a task of its own, so the port can stay taken for a moment on a busy machine.
pub async fn rebind(address: SocketAddr) -> TcpListener {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match TcpListener::bind(address).await {
            Ok(listener) => return listener,
            Err(e)
                if e.kind() == std::io::ErrorKind::AddrInUse
                    && std::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("binding {address} again: {e}"),
        }
    }
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

/// A party's transport that rewrites some of its outgoing messages (to play a cheater):
/// `tamper` sees each message with its session's participants and says whether it changed it.
pub struct Tampering {
    pub inner: Arc<TcpTransport>,
    pub tamper: Tamper,
    /// Messages changed so far.
    pub tampered: Arc<AtomicUsize>,
}

pub type Tamper = Arc<dyn Fn(&[PartyIndex], &mut Outgoing) -> bool + Send + Sync>;

#[async_trait::async_trait]
impl Transport for Tampering {
    fn me(&self) -> PartyIndex {
        self.inner.me()
    }

    fn live(&self) -> Vec<PartyIndex> {
        self.inner.live()
    }

    async fn open_session(
        &self,
        session: SessionId,
        participants: Vec<PartyIndex>,
    ) -> Result<SessionChannel, MpcError> {
        let mut channel = self.inner.open_session(session, participants).await?;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Outgoing>(64);
        let real = std::mem::replace(&mut channel.outgoing, tx);
        let (tamper, tampered) = (self.tamper.clone(), self.tampered.clone());
        let participants = channel.participants.clone();
        tokio::spawn(async move {
            while let Some(mut out) = rx.recv().await {
                if tamper(&participants, &mut out) {
                    tampered.fetch_add(1, Ordering::SeqCst);
                }
                if real.send(out).await.is_err() {
                    return;
                }
            }
        });
        Ok(channel)
    }
}
