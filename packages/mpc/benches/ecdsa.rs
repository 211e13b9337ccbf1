//! Threshold ECDSA (CGGMP21) timings on loopback TCP:
//! `cargo bench -p mpc-party --bench ecdsa` (SAMPLES=n to change the number of signings).
//!
//! Reports aux info generation (3 parties, live, primes from the test fixtures), key generation,
//! 2-of-3 signing latency (median, p99), signatures per second with several concurrent sessions,
//! and one plain k256 signature as the floor.

#[path = "../tests/ecdsa_support/mod.rs"]
mod ecdsa_support;

use std::time::{Duration, Instant};

use ecdsa_support::*;
use k256::ecdsa::signature::hazmat::PrehashSigner;
use mpc_party::ecdsa;
use mpc_party::{PartyIndex, SessionId};
use sha2::{Digest, Sha256};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let samples: usize = std::env::var("SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(samples));
}

async fn run(samples: usize) {
    let transports = tcp_parties(3).await;
    let parties: Vec<PartyIndex> = vec![0, 1, 2];
    let primes = load_primes();

    let started = Instant::now();
    let aux = all_ok(
        on_parties(
            &transports,
            &parties,
            &parties,
            SessionId::new(CONTRACT, "aux", 0, 0),
            |party, channel| ecdsa::aux_info(channel, primes[party as usize].clone(), LONG),
        )
        .await,
    );
    println!(
        "aux info, 3 parties at once (one-off per party set): {:.0} ms",
        ms(started.elapsed())
    );

    let mut keygen_times = Vec::new();
    let mut shares = Vec::new();
    for request in 0..10 {
        let started = Instant::now();
        shares = keygen_all(&transports, &aux, 2, request).await;
        keygen_times.push(started.elapsed());
    }
    keygen_times.sort();
    println!(
        "keygen 2-of-3 (aux info ready): median {:.1} ms over {} runs",
        ms(percentile(&keygen_times, 0.5)),
        keygen_times.len()
    );

    let hash: [u8; 32] = Sha256::digest(b"bench").into();
    let mut latencies = Vec::with_capacity(samples);
    for request in 0..samples as u64 {
        let started = Instant::now();
        sign_with(&transports, &shares, &[0, 1], &[hash], request).await;
        latencies.push(started.elapsed());
    }
    latencies.sort();
    println!(
        "sign 2-of-3, one hash: median {:.0} ms, p99 {:.0} ms, min {:.0} ms over {samples} sessions",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies[0]),
    );

    let one_hash = [hash];
    for concurrent in [1usize, 4, 8] {
        let total = 16u64;
        let started = Instant::now();
        let mut next = 1_000_000 * concurrent as u64;
        let mut done = 0;
        while done < total {
            let batch = (total - done).min(concurrent as u64);
            let sessions =
                (0..batch).map(|k| sign_with(&transports, &shares, &[0, 1], &one_hash, next + k));
            futures::future::join_all(sessions).await;
            next += batch;
            done += batch;
        }
        let elapsed = started.elapsed();
        println!(
            "throughput, {concurrent} concurrent sessions: {:.2} signatures/s ({total} in {:.1} s)",
            total as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64()
        );
    }

    let key = k256::ecdsa::SigningKey::from_slice(&[7u8; 32]).expect("key");
    let rounds = 2000;
    let started = Instant::now();
    for _ in 0..rounds {
        let _: k256::ecdsa::Signature = key.sign_prehash(&hash).expect("sign");
    }
    println!(
        "floor: one k256 signature, single party: {:.3} ms",
        ms(started.elapsed()) / rounds as f64
    );
}
