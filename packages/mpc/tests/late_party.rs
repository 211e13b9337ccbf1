//! A party that starts a run late (a restart, a node behind, a queue of other requests) meets
//! the others: attempts are windows on the wall clock, so it joins the window in progress or the
//! next one, where the others are. Key generation needs every party, and so does signing when
//! the threshold is the number of parties: without this, a party later than the others' first
//! wait met nobody in any attempt. Over loopback TCP, ECDSA and EdDSA, with the lateness a few
//! windows long (the windows here are short; the mechanism does not depend on their length).

mod ecdsa_support;
mod net_support;
mod party_support;

use std::time::Duration;

use mpc_party::party::aux_record;
use mpc_party::{PartyConfig, PartyIndex, Scheme, SessionId};

use ecdsa_support::live_aux;
use party_support::{nodes, request, show_logs};

/// Runs every party's run, the last one starting `late` after the others; returns the
/// results in party order.
async fn with_last_late<T, Fut>(runs: Vec<Fut>, late: Duration) -> Vec<T>
where
    Fut: std::future::Future<Output = Result<T, mpc_party::MpcError>>,
{
    let last = runs.len() - 1;
    let runs = runs.into_iter().enumerate().map(|(i, run)| async move {
        if i == last {
            tokio::time::sleep(late).await;
        }
        run.await.unwrap_or_else(|e| panic!("party {i}: {e}"))
    });
    futures::future::join_all(runs).await
}

fn all_equal<T: PartialEq + std::fmt::Debug>(results: &[T]) -> &T {
    assert!(results.iter().all(|r| *r == results[0]), "{results:?}");
    &results[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_party_joins_eddsa_key_generation_and_signing_by_all() {
    let config = PartyConfig {
        step_timeout: Duration::from_secs(1),
        // Key generation windows of 2 s, signing windows of 1 s.
        eddsa_window: Duration::from_secs(1),
        max_attempts: Some(20),
        ..PartyConfig::default()
    };
    let (nodes, _t) = nodes(3, config).await;
    // Later than two whole key generation windows: the others have failed two attempts.
    let late = Duration::from_secs(5);
    let req = request(1);
    let runs = nodes
        .iter()
        .map(|n| n.party.keygen(Scheme::EddsaEd25519, &req, 3, 3));
    let keys = with_last_late(runs.collect(), late).await;
    let key = all_equal(&keys).clone();
    let messages = vec![b"all three sign".to_vec()];
    let req = request(2);
    let runs = nodes
        .iter()
        .map(|n| n.party.sign(Scheme::EddsaEd25519, &key, &req, &messages));
    let signatures = with_last_late(runs.collect(), late).await;
    let signature = all_equal(&signatures)[0];
    let verifying = ed25519_dalek::VerifyingKey::from_bytes(&key.try_into().unwrap()).unwrap();
    verifying
        .verify_strict(
            &messages[0],
            &ed25519_dalek::Signature::from_bytes(&signature),
        )
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_party_joins_ecdsa_key_generation_and_signing_by_all() {
    show_logs();
    let config = PartyConfig {
        // Signing windows of 10 s, key generation windows of 20 s.
        ecdsa_window: Duration::from_secs(10),
        max_attempts: Some(10),
        ecdsa_timeout: Duration::from_secs(30),
        refill_primes: false,
        ..PartyConfig::default()
    };
    let (nodes, transports) = nodes(3, config).await;
    // Aux info for these three parties, made from stored primes before the late run: the key
    // generation measured below needs no primes.
    let parties: Vec<PartyIndex> = (0..3).collect();
    let online: Vec<_> = transports.iter().cloned().map(Some).collect();
    let aux = live_aux(&online, &parties, SessionId::new("wasm1late", "aux", 1, 0)).await;
    for (node, aux) in nodes.iter().zip(aux) {
        node.party.store().put(&aux_record(&parties), &aux).unwrap();
    }
    // A whole key generation window late.
    let req = request(1);
    let runs = nodes
        .iter()
        .map(|n| n.party.keygen(Scheme::EcdsaSecp256k1, &req, 3, 3));
    let keys = with_last_late(runs.collect(), Duration::from_secs(20)).await;
    let key = all_equal(&keys).clone();
    assert_eq!(key.len(), 33);
    // One and a half signing windows late.
    let hash = [7u8; 32];
    let (req, items) = (request(2), [hash.to_vec()]);
    let runs = nodes
        .iter()
        .map(|n| n.party.sign(Scheme::EcdsaSecp256k1, &key, &req, &items));
    let signatures = with_last_late(runs.collect(), Duration::from_secs(15)).await;
    let signature = all_equal(&signatures)[0];
    assert!(cosmwasm_crypto::secp256k1_verify(&hash, &signature, &key).unwrap());
}
