//! Signing on a real chain: a wasmd localnet with the three contracts and three `connector run`
//! processes (threshold 2), as in the end-to-end tests.
//!
//! - Latency: requests one at a time; blocks and seconds from the block that made a request
//!   `pending` (the approval) to the block of the answer that fulfilled it, and to the requester
//!   seeing it fulfilled.
//! - Throughput: N requests made in one transaction and approved in one (the owners sign with
//!   the connector's own chain client, which batches); requests per second from the approval
//!   to the last one fulfilled.
//!
//! `cargo bench -p mpc-connector --bench localnet -- [requests] [ecdsa|eddsa|both]`

// Shared with the end-to-end tests; the bench uses only part of it.
#[allow(dead_code)]
#[path = "../tests/localnet/federation.rs"]
mod federation;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use federation::{Federation, Setup, APPROVER, REQUESTER};
use mpc_connector::chain::cosmos::CosmosChain;
use mpc_connector::chain::{Chain, ContractCall};
use mpc_devnet::{bench_args, signature_request_msg, verified_signatures, DevnetKey};
use mpc_interfaces::signature_requests::{ExecuteMsg as SignatureExecute, SignRequestStatus};
use mpc_interfaces::{events, KeyType};

const LATENCY_SAMPLES: usize = 5;

fn main() {
    let (requests, key_type) = bench_args();
    let key_types = match key_type {
        Some(key_type) => vec![key_type],
        None => vec![KeyType::EcdsaSecp256k1, KeyType::EddsaEd25519],
    };
    let data_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("localnet-federation");
    let mut f =
        Federation::start_with(&data_dir, 3, 2, &Setup::default()).expect("federation starts");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let client = |name: &str| {
        let key = f.chain.account(name).expect("owner").private_key();
        runtime
            .block_on(CosmosChain::connect(
                &f.cosmos_config(false).expect("chain config"),
                key,
            ))
            .expect("owner's chain client")
    };
    let owners = [client(REQUESTER), client(APPROVER)];

    println!(
        "| key | latency: blocks (median, max) | latency: s (median, max) | burst of N | req/s |"
    );
    println!("|---|---|---|---|---|");
    for key_type in key_types {
        let key = f.request_key(key_type).expect("key");
        let (blocks, seconds) = latency(&mut f, &key);
        let rate = throughput(&mut f, &runtime, &owners, &key, requests);
        println!(
            "| {} | {}, {} | {:.2}, {:.2} | {requests} | {rate:.2} |",
            key_type.as_str(),
            median(&blocks),
            blocks.iter().max().unwrap(),
            median(&seconds),
            seconds.iter().cloned().fold(0.0, f64::max),
        );
    }
}

/// Requests one at a time: blocks to the fulfilling answer and seconds to `fulfilled` seen.
fn latency(f: &mut Federation, key: &DevnetKey) -> (Vec<u64>, Vec<f64>) {
    let mut blocks = Vec::new();
    let mut seconds = Vec::new();
    for n in 0..LATENCY_SAMPLES {
        let message = format!("latency sample {n}");
        let (id, _) = f
            .request_signature(key, &[message.as_bytes()])
            .expect("request");
        let approved = f.approve(id).expect("approve");
        let finished = f.wait_final(id, Instant::now()).expect("final");
        verified_signatures(key, &finished.request).expect("signatures verify");
        let mut heights: Vec<u64> = finished.request.answers.iter().map(|a| a.height).collect();
        heights.sort();
        let fulfilling = heights[finished.request.party_threshold as usize - 1];
        blocks.push(fulfilling - approved.height);
        seconds.push(finished.seconds);
    }
    (blocks, seconds)
}

/// `n` requests in one transaction, approved in one; requests per second until all fulfilled.
fn throughput(
    f: &mut Federation,
    runtime: &tokio::runtime::Runtime,
    owners: &[CosmosChain; 2],
    key: &DevnetKey,
    n: usize,
) -> f64 {
    let contract = f.contracts.signature_requests.clone();
    let calls: Vec<ContractCall> = (0..n)
        .map(|i| {
            let message = format!("burst message {i}");
            let msg = signature_request_msg(key, &[message.as_bytes()]);
            ContractCall::new(&contract, &msg).expect("message")
        })
        .collect();
    let sent = runtime
        .block_on(owners[0].execute(calls))
        .expect("requests tx");
    let requested = f.chain.tx(&sent.tx_hash).expect("requests tx in a block");
    let kind = format!("wasm-{}", events::SIGNATURE_REQUEST_EVENT);
    let mut ids: Vec<u64> = requested
        .events_of(&kind)
        .filter_map(|e| e.attribute(events::attr::REQUEST_ID)?.parse().ok())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), n, "one request per message");
    let approvals = ids
        .iter()
        .map(|id| ContractCall::new(&contract, &SignatureExecute::Approve { request_id: *id }))
        .collect::<Result<Vec<_>, _>>()
        .expect("approvals");
    runtime
        .block_on(owners[1].execute(approvals))
        .expect("approvals tx");
    let start = Instant::now();
    for id in &ids {
        let finished = f.wait_final(*id, start).expect("final");
        assert_eq!(finished.request.status, SignRequestStatus::Fulfilled);
        verified_signatures(key, &finished.request).expect("signatures verify");
    }
    n as f64 / start.elapsed().max(Duration::from_millis(1)).as_secs_f64()
}

fn median<T: Copy + PartialOrd>(values: &[T]) -> T {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    sorted[sorted.len() / 2]
}
