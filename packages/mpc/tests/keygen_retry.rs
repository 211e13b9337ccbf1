//! Key generation is retried like signing: a window in which a party is off the network is
//! skipped (key generation needs every party), the next window runs on a new session, and every
//! party ends with the same key. Over the in-memory network, which can take a party off the
//! network and back.

use std::sync::Arc;
use std::time::Duration;

use mpc_party::transport::memory::MemoryNetwork;
use mpc_party::{ChainRequest, MpcError, Party, PartyConfig, Scheme, ShareStore, StoreSecret};

fn config(max_attempts: u32) -> PartyConfig {
    PartyConfig {
        step_timeout: Duration::from_millis(300),
        // Key generation windows of 1 s.
        eddsa_window: Duration::from_millis(500),
        max_attempts: Some(max_attempts),
        ..PartyConfig::default()
    }
}

fn parties(network: &MemoryNetwork, n: u16, max_attempts: u32) -> Vec<(Party, tempfile::TempDir)> {
    (0..n)
        .map(|me| {
            let dir = tempfile::tempdir().unwrap();
            let secret = StoreSecret::key_from_text(&"11".repeat(32)).unwrap();
            let store = ShareStore::open(dir.path(), &secret).unwrap();
            let party = Party::new(
                Arc::new(network.party(me)),
                Arc::new(store),
                config(max_attempts),
            );
            (party, dir)
        })
        .collect()
}

fn request() -> ChainRequest {
    ChainRequest {
        chain_id: "chain-1".into(),
        contract: "wasm1keyring".into(),
        request_id: 9,
    }
}

#[tokio::test]
async fn a_key_generation_that_times_out_is_run_again_and_every_party_gets_the_key() {
    let network = MemoryNetwork::new(3);
    let nodes = parties(&network, 3, 4);
    // Party 2 is off the network for the first window (at least).
    network.set_online(2, false);
    let back = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        network.set_online(2, true);
    };
    let req = request();
    let runs = futures::future::join_all(
        nodes
            .iter()
            .map(|(party, _)| party.keygen(Scheme::EddsaEd25519, &req, 3, 2)),
    );
    let (keys, ()) = tokio::join!(runs, back);
    let keys: Vec<Vec<u8>> = keys.into_iter().map(Result::unwrap).collect();
    assert_eq!(keys[0].len(), 32);
    assert!(keys.iter().all(|k| k == &keys[0]), "one key for all");
}

#[tokio::test]
async fn a_party_that_never_answers_exhausts_the_attempts_with_a_timeout() {
    let network = MemoryNetwork::new(3);
    let nodes = parties(&network, 3, 2);
    network.set_online(2, false);
    let req = request();
    let result = nodes[0].0.keygen(Scheme::EddsaEd25519, &req, 3, 2).await;
    match result {
        Err(MpcError::AttemptsExhausted { attempts, last }) => {
            assert_eq!(attempts, 2);
            assert!(
                matches!(&*last, MpcError::Timeout { waiting_for, .. } if *waiting_for == vec![2]),
                "the timeout names the silent party: {last}"
            );
        }
        other => panic!("expected the attempts to run out, got {other:?}"),
    }
}
