//! Throughput and latency of the devnet from `pending` to `fulfilled`, with 3 parties and
//! threshold 2: N signature requests are made and approved in one transaction, then the time
//! until each is fulfilled is recorded.
//!
//! `cargo bench -p mpc-devnet --bench devnet -- [requests] [ecdsa|eddsa]`

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use mpc_devnet::{bench_args, prepare_data_dir, Devnet, DevnetOptions};
use mpc_interfaces::KeyType;

fn main() {
    let (requests, key_type) = bench_args();
    let key_type = key_type.unwrap_or(KeyType::EcdsaSecp256k1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench(requests, key_type));
}

async fn bench(requests: usize, key_type: KeyType) {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("devnet-bench");
    let mut options = DevnetOptions::new(prepare_data_dir(&base, 3).expect("data dir"));
    options.block_time = Duration::from_millis(50);
    let quiet = |_: &str| {};
    let devnet = Devnet::start(options, &quiet).await.expect("devnet");
    let key = devnet.request_key(key_type, &quiet).await.expect("key");

    let mut ids = Vec::new();
    for n in 0..requests {
        let message = format!("bench message {n}").into_bytes();
        ids.push(
            devnet
                .request_signature(&key, &[message])
                .await
                .expect("request"),
        );
    }
    devnet.approve(&ids).await.expect("approve");
    let pending_at = Instant::now();
    let mut done: BTreeMap<u64, Duration> = BTreeMap::new();
    while done.len() < ids.len() {
        for &id in &ids {
            if done.contains_key(&id) {
                continue;
            }
            let request = devnet.signature_request(id).await.expect("query");
            if request.status.is_final() {
                devnet
                    .check_signatures(&key, &request)
                    .expect("fulfilled and verified");
                done.insert(id, pending_at.elapsed());
            }
        }
        assert!(
            pending_at.elapsed() < Duration::from_secs(600),
            "bench timed out"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let total = pending_at.elapsed();
    let mut latencies: Vec<Duration> = done.values().copied().collect();
    latencies.sort();
    let percentile = |p: f64| {
        latencies[((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1]
    };
    println!(
        "devnet {} 3 parties threshold 2: {requests} requests pending->fulfilled in {:.2}s = {:.2} requests/s; per request median {:.3}s, p99 {:.3}s",
        key_type.as_str(),
        total.as_secs_f64(),
        requests as f64 / total.as_secs_f64(),
        percentile(0.5).as_secs_f64(),
        percentile(0.99).as_secs_f64(),
    );
    devnet.shutdown().await;
}
