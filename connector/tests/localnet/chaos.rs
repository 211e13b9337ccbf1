//! A short seeded chaos run ([`run`]): a federation of three parties (threshold 2) meets each
//! of the faults once while keys and signatures are requested. `CHAOS_SEED=<seed>` replays it.
//! The long runs, and the federation of four (threshold 3), are the `localnet_chaos` bench:
//! the test command's time budget holds the three-party run only.

pub mod run;

use run::{Schedule, ALL_FAULTS};

use super::federation::Setup;
use super::run_on;

/// The seed of the short runs unless `CHAOS_SEED` says otherwise.
const SEED: u64 = 21;

#[test]
fn chaos_three_parties_threshold_2_every_fault_once() {
    let schedule = Schedule::new(run::seed(SEED), 3, &ALL_FAULTS, 1);
    run_on(3, &Setup::default(), |f| {
        run::run(f, 2, &schedule).map(drop)
    });
}
