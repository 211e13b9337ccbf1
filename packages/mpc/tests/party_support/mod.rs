//! Whole parties ([`Party`]) over loopback TCP, each with a share store of its own.

use std::sync::Arc;

use mpc_party::transport::tcp::TcpTransport;
use mpc_party::{ChainRequest, Party, PartyConfig, PartyIndex, ShareStore, StoreSecret};

use crate::ecdsa_support::tcp_parties;
use crate::net_support::until_live;

pub struct Node {
    pub party: Party,
    _dir: tempfile::TempDir,
}

/// `n` parties over TCP with `config`, each hearing all the others.
pub async fn nodes(n: u16, config: PartyConfig) -> (Vec<Node>, Vec<Arc<TcpTransport>>) {
    let transports: Vec<Arc<TcpTransport>> = tcp_parties(n)
        .await
        .into_iter()
        .map(Option::unwrap)
        .collect();
    let all: Vec<PartyIndex> = (0..n).collect();
    for transport in &transports {
        until_live(transport.as_ref(), &all).await;
    }
    let nodes = transports
        .iter()
        .map(|transport| {
            let dir = tempfile::tempdir().unwrap();
            let secret = StoreSecret::key_from_text(&"22".repeat(32)).unwrap();
            let store = ShareStore::open(dir.path(), &secret).unwrap();
            Node {
                party: Party::new(transport.clone(), Arc::new(store), config.clone()),
                _dir: dir,
            }
        })
        .collect();
    (nodes, transports)
}

/// Request `id` of a test contract.
pub fn request(id: u64) -> ChainRequest {
    ChainRequest {
        chain_id: "chain-1".into(),
        contract: "wasm1late".into(),
        request_id: id,
    }
}

/// The parties' logs, shown by the test harness when a test fails (RUST_LOG to change).
pub fn show_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "mpc_party=info".into()),
        )
        .with_test_writer()
        .try_init();
}
