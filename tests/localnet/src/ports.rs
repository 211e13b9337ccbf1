//! Free ports for the nodes and connectors the tests start. A port found free is released for
//! the process that then binds it, so something else can take it in between. Outgoing
//! connections take ports from the kernel's ephemeral range all the time (a restarted connector
//! once lost its telemetry port to one), so these come from below that range, from a sequence
//! of its own in each process: a port is handed out once, and other test processes start
//! elsewhere in the sequence.

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::error::{LocalnetError, Result};

/// The lowest port handed out: above the well-known ports and the most common services.
const FIRST: u16 = 10_000;
/// Where Linux's ephemeral range starts by default, when the kernel does not say.
const EPHEMERAL_START: u16 = 32_768;

/// A free port on 127.0.0.1, outside the ephemeral range, not handed out before by this process.
pub fn free_address() -> Result<SocketAddr> {
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let span = u32::from(ephemeral_start() - FIRST);
    // Each process starts at its own place in the sequence.
    let start = std::process::id().wrapping_mul(7_919) % span;
    let _ = NEXT.compare_exchange(u32::MAX, start, Ordering::SeqCst, Ordering::SeqCst);
    for _ in 0..span {
        let port = FIRST + (NEXT.fetch_add(1, Ordering::SeqCst) % span) as u16;
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
            if let Ok(address) = listener.local_addr() {
                return Ok(address);
            }
        }
    }
    Err(LocalnetError::Io {
        context: format!("finding a free port in {FIRST}..{}", ephemeral_start()),
        source: std::io::Error::from(std::io::ErrorKind::AddrInUse),
    })
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
        let ports: Vec<u16> = (0..50).map(|_| free_address().unwrap().port()).collect();
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
