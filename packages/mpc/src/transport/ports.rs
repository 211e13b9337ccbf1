//! Free ports on 127.0.0.1 for parties and nodes started on one machine (the devnet, the local
//! chain, the end-to-end tests). A port found free is released for whoever binds it next, so
//! something else can take it in between. Outgoing connections take ports from the kernel's
//! ephemeral range all the time (a party's listener once lost its port to the connections of
//! parties beside it; a restarted connector its telemetry port), so these come from below that
//! range, from a sequence of its own in each process: a port is handed out once, and other
//! processes start elsewhere in the sequence.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU32, Ordering};

/// The lowest port handed out: above the well-known ports and the most common services.
const FIRST: u16 = 10_000;
/// Where Linux's ephemeral range starts by default, when the kernel does not say.
const EPHEMERAL_START: u16 = 32_768;

/// A free port on 127.0.0.1, outside the ephemeral range, not handed out before by this process.
pub fn free_loopback_address() -> io::Result<SocketAddr> {
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let end = ephemeral_start();
    let span = u32::from(end - FIRST);
    // Each process starts at its own place in the sequence.
    let start = std::process::id().wrapping_mul(7_919) % span;
    let _ = NEXT.compare_exchange(u32::MAX, start, Ordering::SeqCst, Ordering::SeqCst);
    for _ in 0..span {
        let port = FIRST + (NEXT.fetch_add(1, Ordering::SeqCst) % span) as u16;
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
            return listener.local_addr();
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AddrInUse,
        format!("no free port on 127.0.0.1 in {FIRST}..{end}"),
    ))
}

/// The first port of the kernel's ephemeral range (`ip_local_port_range`).
fn ephemeral_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .filter(|&start: &u16| start > FIRST + 1_000)
        .unwrap_or(EPHEMERAL_START)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_distinct_free_and_below_the_ephemeral_range() {
        let ports: Vec<u16> = (0..50)
            .map(|_| free_loopback_address().unwrap().port())
            .collect();
        let mut distinct = ports.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), ports.len());
        assert!(ports
            .iter()
            .all(|&p| (FIRST..ephemeral_start()).contains(&p)));
        for port in ports {
            TcpListener::bind(("127.0.0.1", port)).expect("a port handed out is free");
        }
    }
}
