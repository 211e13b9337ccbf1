//! Faults: a connector stopped in the middle of signing and restarted, a party down for a whole
//! signing run, and event streams that drop. Requests are still fulfilled, nothing is lost, and
//! no party answers twice (counted from the messages the chain received).

mod common;

use std::time::Duration;

use mpc_connector::chain::Chain;
use mpc_connector::request::RequestRef;
use mpc_devnet::Devnet;
use mpc_interfaces::signature_requests::SignRequestStatus;
use mpc_interfaces::KeyType;

/// `submit_signature_result` messages per (party name, request id): (committed, refused).
async fn answers_per_party(devnet: &Devnet) -> Vec<(String, u64, u64)> {
    let mut out = Vec::new();
    for count in devnet.message_counts().await.unwrap() {
        if count.message == "submit_signature_result" {
            let label = format!(
                "{} on request {:?}",
                devnet.party_name(&count.sender),
                count.request_id
            );
            out.push((label, count.committed, count.refused));
        }
    }
    out
}

async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..2400 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_restarted_in_the_middle_of_signing_answers_once() {
    let (_guard, mut devnet) = common::devnet(3, 2).await;
    let key = devnet
        .request_key(KeyType::EcdsaSecp256k1, &common::print)
        .await
        .unwrap();
    let id = devnet
        .request_signature(&key, &[b"restart me".to_vec()])
        .await
        .unwrap();
    devnet.approve(&[id]).await.unwrap();

    // Party 0 (a signer in the first attempt) is stopped once its MPC run is under way.
    let metrics = devnet.metrics(0).unwrap();
    wait_until("party 0 starts signing", || {
        metrics.runs_started("sign") >= 1
    })
    .await;
    devnet.stop_party(0).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    devnet.start_party(0).await.unwrap();

    let request = devnet.wait_signed(id, &common::print).await.unwrap();
    assert_eq!(request.status, SignRequestStatus::Fulfilled);
    devnet.check_signatures(&key, &request).unwrap();

    // Every party that answered did so exactly once; none sent a second committed answer.
    let counts = answers_per_party(&devnet).await;
    println!("answers per party: {counts:?}");
    // Committed answers per party and request are at most one (the contract would refuse a
    // second), and no party even tried a second one after its first was committed.
    assert!(
        counts.iter().all(|(_, committed, _)| *committed <= 1),
        "{counts:?}"
    );
    assert!(
        counts
            .iter()
            .all(|(_, committed, refused)| *committed + *refused <= 1),
        "a party submitted twice: {counts:?}"
    );
    assert!(counts.iter().map(|(_, c, _)| c).sum::<u64>() >= 2);

    // The restarted party closes the request in its store once it reads it final on chain
    // (two reads a poll interval apart, so a moment after the others' answers settle it)...
    let party0 = devnet.parties[0].handle.account().to_string();
    let answered_by_0 = request.answers.iter().any(|a| a.party.as_str() == party0);
    wait_until("party 0 closes the request in its store", || {
        devnet
            .progress(0, RequestRef::Sign(id))
            .is_some_and(|record| record.progress.is_final())
    })
    .await;
    // ...and keeps it closed across a restart, so a further restart does nothing.
    devnet.stop_party(0).await;
    let store = mpc_connector::store::ProgressStore::open(
        &devnet
            .options
            .data_dir
            .join("party-0")
            .join("connector.redb"),
    )
    .unwrap();
    let record = store.get(RequestRef::Sign(id)).unwrap().unwrap();
    assert!(
        record.progress.is_final(),
        "{record:?} (answered: {answered_by_0})"
    );
    drop(store);
    devnet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_one_party_down_for_the_whole_run_requests_are_fulfilled() {
    let (_guard, mut devnet) = common::devnet(3, 2).await;
    let key = devnet
        .request_key(KeyType::EcdsaSecp256k1, &common::print)
        .await
        .unwrap();
    // Party 0 has the lowest index, so it would be a signer if it were up.
    devnet.stop_party(0).await;
    // The others' event streams also drop while the requests are made: they must catch up.
    for party in &devnet.parties[1..] {
        party.handle.set_offline(true);
    }
    let mut ids = Vec::new();
    for n in 0..3 {
        let message = format!("party 0 is down {n}").into_bytes();
        ids.push(devnet.request_signature(&key, &[message]).await.unwrap());
    }
    devnet.approve(&ids).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for party in &devnet.parties[1..] {
        party.handle.set_offline(false);
    }
    for &id in &ids {
        let request = devnet.wait_signed(id, &common::print).await.unwrap();
        assert_eq!(request.status, SignRequestStatus::Fulfilled);
        devnet.check_signatures(&key, &request).unwrap();
        let party0 = devnet.parties[0].handle.account();
        assert!(request.answers.iter().all(|a| a.party.as_str() != party0));
    }
    let reconnects: u64 = (1..3)
        .map(|i| devnet.metrics(i).unwrap().reconnects())
        .sum();
    assert!(reconnects >= 2, "each live connector reconnected");
    let counts = answers_per_party(&devnet).await;
    assert!(
        counts.iter().all(|(_, committed, _)| *committed == 1),
        "{counts:?}"
    );
    assert_eq!(
        counts.len(),
        2 * ids.len(),
        "parties 1 and 2 answered every request: {counts:?}"
    );
    devnet.shutdown().await;
}
