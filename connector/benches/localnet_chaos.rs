//! Long seeded chaos runs on the wasmd localnet (`tests/localnet/chaos/run.rs`, whose short runs
//! are end-to-end tests): `rounds` passes over every fault, in a federation of three parties
//! (threshold 2) and then one of four (threshold 3), each printing its schedule and summary.
//!
//! `CHAOS_SEED=<seed> cargo bench -p mpc-connector --profile dev --bench localnet_chaos -- [rounds] [3|4]`

// Shared with the end-to-end tests; the bench uses only part of it.
#[allow(dead_code)]
#[path = "../tests/localnet/federation.rs"]
mod federation;

#[path = "../tests/localnet/chaos/run.rs"]
mod chaos;

use chaos::{Schedule, ALL_FAULTS};
use federation::{Federation, Setup};

/// The seed unless `CHAOS_SEED` says otherwise.
const SEED: u64 = 2026;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let rounds = args.first().and_then(|a| a.parse().ok()).unwrap_or(2);
    let sizes: Vec<usize> = match args.get(1).and_then(|a| a.parse().ok()) {
        Some(parties) => vec![parties],
        None => vec![3, 4],
    };
    let seed = chaos::seed(SEED);
    for parties in sizes {
        let threshold = parties as u32 - 1;
        let schedule = Schedule::new(seed, parties, &ALL_FAULTS, rounds);
        let setup = Setup {
            threshold: Some(threshold),
            ..Setup::default()
        };
        let mut f = Federation::start_with(&chaos::data_dir(parties), parties, threshold, &setup)
            .expect("federation starts");
        println!("{parties} parties, threshold {threshold}, {rounds} rounds");
        if let Err(e) = chaos::run(&mut f, threshold, &schedule) {
            panic!("{e}\n{}", f.logs());
        }
    }
}
