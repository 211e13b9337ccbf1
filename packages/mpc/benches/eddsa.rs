//! FROST Ed25519 over the Noise TCP transport on loopback: DKG time, 2-of-3 signing latency
//! (median, p99), throughput with concurrent sessions, and one local ed25519-dalek signature as
//! the floor. Every party runs the full `Party` API (share store on disk included).
//!
//! Run: `cargo bench -p mpc-party --bench eddsa` (env `BENCH_SIGN_RUNS`, `BENCH_CONCURRENCY` to
//! change the sample sizes).

use std::sync::Arc;
use std::time::{Duration, Instant};

use mpc_party::transport::tcp::{loopback_configs, TcpTransport};
use mpc_party::{ChainRequest, Party, PartyConfig, Scheme, ShareStore, StoreSecret};

const CONTRACT: &str = "wasm1bench";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn cluster(n: u16) -> (Vec<Arc<Party>>, Vec<tempfile::TempDir>) {
    let mut parties = Vec::new();
    let mut dirs = Vec::new();
    for (config, listener) in loopback_configs(n).await.expect("loopback") {
        let transport = Arc::new(TcpTransport::start(config, listener).expect("transport"));
        let dir = tempfile::tempdir().expect("tempdir");
        let store = ShareStore::open(
            dir.path(),
            &StoreSecret::key_from_text(&"11".repeat(32)).expect("key"),
        )
        .expect("store");
        parties.push(Arc::new(Party::new(
            transport,
            Arc::new(store),
            PartyConfig::default(),
        )));
        dirs.push(dir);
    }
    (parties, dirs)
}

async fn keygen(parties: &[Arc<Party>], request_id: u64, t: u16) -> Vec<u8> {
    let n = parties.len() as u16;
    let runs = parties.iter().map(|p| {
        let p = p.clone();
        tokio::spawn(async move {
            let request = ChainRequest {
                chain_id: "bench-1".into(),
                contract: CONTRACT.into(),
                request_id,
            };
            p.keygen(Scheme::EddsaEd25519, &request, n, t).await
        })
    });
    let keys = futures::future::join_all(runs).await;
    keys.into_iter()
        .map(|k| k.expect("task").expect("keygen"))
        .next()
        .expect("a key")
}

async fn sign(parties: &[Arc<Party>], key: &[u8], request_id: u64) {
    let runs = parties.iter().map(|p| {
        let p = p.clone();
        let key = key.to_vec();
        tokio::spawn(async move {
            let request = ChainRequest {
                chain_id: "bench-1".into(),
                contract: CONTRACT.into(),
                request_id,
            };
            p.sign(
                Scheme::EddsaEd25519,
                &key,
                &request,
                &[b"bench message".to_vec()],
            )
            .await
        })
    });
    for r in futures::future::join_all(runs).await {
        r.expect("task").expect("sign");
    }
}

#[tokio::main]
async fn main() {
    let sign_runs = env_or("BENCH_SIGN_RUNS", 300);
    let concurrency = env_or("BENCH_CONCURRENCY", 8);
    let (parties, _dirs) = cluster(3).await;

    // DKG (2-of-3), including storing the share.
    let mut dkg = Vec::new();
    let mut key = Vec::new();
    for i in 0..20 {
        let started = Instant::now();
        key = keygen(&parties, 1_000 + i, 2).await;
        dkg.push(started.elapsed());
    }
    dkg.sort();

    // Sequential signing latency: all three parties call sign; two sign, one receives the result.
    for i in 0..10 {
        sign(&parties, &key, 10_000 + i).await; // warm-up (connections, caches)
    }
    let mut latency = Vec::with_capacity(sign_runs);
    for i in 0..sign_runs {
        let started = Instant::now();
        sign(&parties, &key, 20_000 + i as u64).await;
        latency.push(started.elapsed());
    }
    latency.sort();

    // Throughput: `concurrency` sessions in flight at all times.
    let total = sign_runs.max(concurrency * 20);
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let workers = (0..concurrency).map(|_| {
        let parties = parties.clone();
        let key = key.clone();
        let next = next.clone();
        tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= total as u64 {
                    break;
                }
                sign(&parties, &key, 100_000 + i).await;
            }
        })
    });
    futures::future::join_all(workers).await;
    let per_second = total as f64 / started.elapsed().as_secs_f64();

    // Floor: one ed25519-dalek signature on this machine.
    let signing_key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let floor_runs = 20_000u32;
    let started = Instant::now();
    for i in 0..floor_runs {
        let sig = ed25519_dalek::Signer::sign(&signing_key, &i.to_be_bytes());
        std::hint::black_box(sig);
    }
    let floor = started.elapsed() / floor_runs;

    println!("FROST Ed25519 2-of-3 over Noise TCP on loopback (3 parties in one process)");
    println!(
        "dkg:               median {:.2} ms, p99 {:.2} ms (20 runs)",
        ms(percentile(&dkg, 0.5)),
        ms(percentile(&dkg, 0.99))
    );
    println!(
        "sign latency:      median {:.2} ms, p99 {:.2} ms ({sign_runs} runs, 1 message)",
        ms(percentile(&latency, 0.5)),
        ms(percentile(&latency, 0.99))
    );
    println!("sign throughput:   {per_second:.0} signatures/s ({concurrency} concurrent sessions, {total} signatures)");
    println!(
        "ed25519-dalek:     {:.1} µs per signature (floor)",
        floor.as_secs_f64() * 1e6
    );
}
