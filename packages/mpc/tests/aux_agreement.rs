//! ECDSA key generation needs the same aux info at every party. Seen on a fresh local chain on a
//! busy machine: an aux run ended at one party and not at the others, two key requests made aux
//! info at once, and key generation failed window after window ("the parties hold different ECDSA
//! aux info") until the requests were rejected. Here the parties start from that state, and two
//! key generations run at once: both end with a key, and the next one makes no aux info. And
//! making aux info takes longer than a key generation window on a busy machine: the attempt
//! runs on past its window instead of failing in every window.

mod ecdsa_support;
mod net_support;
mod party_support;

use std::time::Duration;

use mpc_party::party::{aux_record, PRIMES_RECORD};
use mpc_party::{PartyConfig, PartyIndex, Scheme, SessionId};

use ecdsa_support::{all_ok, live_aux, load_primes};
use party_support::{nodes, request, show_logs, Node};

fn held_digests(nodes: &[Node], parties: &[PartyIndex]) -> Vec<Vec<[u8; 32]>> {
    nodes
        .iter()
        .map(|n| n.party.held_aux(&aux_record(parties)).unwrap().digests())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_generations_at_once_after_an_aux_run_that_ended_at_one_party_all_get_their_keys() {
    show_logs();
    let config = PartyConfig {
        max_attempts: Some(6),
        // A spare set would take minutes of CPU; the test stores the sets the parties use.
        refill_primes: false,
        ..PartyConfig::default()
    };
    let (nodes, transports) = nodes(3, config).await;
    let parties: Vec<PartyIndex> = (0..3).collect();
    let primes = load_primes();

    // An aux run that ended at party 2 only (the others' window ended first).
    let online: Vec<_> = transports.iter().cloned().map(Some).collect();
    let aux = live_aux(&online, &parties, SessionId::new("wasm1late", "aux", 1, 0)).await;
    let lone = aux[2].public_digest();
    nodes[2]
        .party
        .store()
        .put(&aux_record(&parties), &aux[2])
        .unwrap();
    for (node, primes) in nodes.iter().zip(&primes) {
        node.party.store().put(PRIMES_RECORD, primes).unwrap();
    }

    // Two key requests at once: each party runs both key generations together.
    let runs = nodes.iter().flat_map(|n| {
        [1, 2].map(|id| async move {
            let key = n
                .party
                .keygen(Scheme::EcdsaSecp256k1, &request(id), 3, 3)
                .await;
            (
                id,
                key.unwrap_or_else(|e| panic!("party {}: {e}", n.party.me())),
            )
        })
    });
    let keys = futures::future::join_all(runs).await;
    for id in [1, 2] {
        let of_request: Vec<&Vec<u8>> = keys
            .iter()
            .filter(|(i, _)| *i == id)
            .map(|(_, k)| k)
            .collect();
        assert_eq!(of_request.len(), 3);
        assert!(
            of_request
                .iter()
                .all(|k| *k == of_request[0] && k.len() == 33),
            "key request {id}: {of_request:?}"
        );
    }
    assert_ne!(keys[0].1, keys[1].1, "two requests, two keys");

    // Every party holds what it made; party 2 also its lone one, which nobody else holds.
    let held = held_digests(&nodes, &parties);
    assert!(held[2].contains(&lone));
    assert!(!held[0].contains(&lone) && !held[1].contains(&lone));
    assert!(
        held[0]
            .iter()
            .any(|d| held[1].contains(d) && held[2].contains(d)),
        "a digest every party holds: {held:?}"
    );

    // The next key is made with aux info the parties hold: no aux run (its primes were used
    // up, so one would have to make new ones, tens of seconds).
    let third_request = request(3);
    let runs = nodes
        .iter()
        .map(|n| n.party.keygen(Scheme::EcdsaSecp256k1, &third_request, 3, 3));
    let third = all_ok(futures::future::join_all(runs).await);
    assert!(third.iter().all(|k| *k == third[0]));
    assert_eq!(held_digests(&nodes, &parties), held, "no aux info made");
    for node in &nodes {
        // An aux run, even one that failed, would have made primes.
        assert!(!node.party.store().contains(PRIMES_RECORD).unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ecdsa_key_generation_that_makes_aux_info_longer_than_its_window_ends_with_the_key() {
    show_logs();
    let config = PartyConfig {
        // Key generation windows of 2 s: making aux info takes several times that here.
        ecdsa_window: Duration::from_secs(1),
        // One attempt: no later window may rescue it.
        max_attempts: Some(1),
        // How far past its window the attempt may run: aux info of three parties in one
        // process took over two minutes on two busy cores.
        ecdsa_timeout: Duration::from_secs(600),
        refill_primes: false,
        ..PartyConfig::default()
    };
    let windows = config.keygen_windows(Scheme::EcdsaSecp256k1);
    let (nodes, _transports) = nodes(3, config).await;
    for (node, primes) in nodes.iter().zip(&load_primes()) {
        node.party.store().put(PRIMES_RECORD, primes).unwrap();
    }
    // The parties start at a window's start. Called anywhere in a window, they may join it
    // with a fifth of a second of its work left, too little on a busy machine to agree on the
    // run before it ends, and the one attempt fails before it reaches the aux run.
    let window = windows.after(&windows.to_join());
    tokio::time::sleep_until(window.starts).await;
    let req = request(1);
    let runs = nodes
        .iter()
        .map(|n| n.party.keygen(Scheme::EcdsaSecp256k1, &req, 3, 2));
    let keys = all_ok(futures::future::join_all(runs).await);
    assert!(keys.iter().all(|k| *k == keys[0] && k.len() == 33));
    let parties: Vec<PartyIndex> = (0..3).collect();
    assert!(held_digests(&nodes, &parties).iter().all(|d| d.len() == 1));
    // The premise: the one attempt outlasted its window.
    let now = tokio::time::Instant::now();
    assert!(now > window.ends, "{:?} before its end", window.ends - now);
}
