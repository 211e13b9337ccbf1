//! Short seeded chaos runs ([`run`]): a federation of three parties (threshold 2) meets each
//! of the faults once, a federation of four (threshold 3) a few of them, while keys and
//! signatures are requested. `CHAOS_SEED=<seed>` replays a run; the long runs are the
//! `localnet_chaos` bench.

pub mod run;

use run::{Fault, Schedule, ALL_FAULTS};

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

/// The faults that stop a process (mid key generation, mid signing) and one that cuts a party
/// off, where every key and signature needs three of the four.
#[test]
fn chaos_four_parties_threshold_3() {
    let schedule = Schedule::new(
        run::seed(SEED),
        4,
        &[Fault::Kill, Fault::Term, Fault::GrpcCut],
        1,
    );
    let setup = Setup {
        threshold: Some(3),
        ..Setup::default()
    };
    run_on(4, &setup, |f| run::run(f, 3, &schedule).map(drop));
}
