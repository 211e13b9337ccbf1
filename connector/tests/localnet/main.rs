//! End to end on a real chain: the compiled contracts on a wasmd node, three `connector run`
//! processes talking to it over CometBFT RPC and gRPC and to each other over TCP, owners and
//! approvers sending signed transactions. Both key types go from request to a signature checked
//! outside the chain; connectors cut off from the node, a node restart, and account sequences
//! moved under a connector are all survived; `faults` adds the operator's faults (a gRPC outage,
//! a second instance, SIGTERM between DKG and submission, a burst with a party SIGKILLed).
//!
//! Needs the wasmd binary (`scripts/wasmd.sh`) and `artifacts/` (`scripts/build-wasm.sh`);
//! `scripts/test.sh` provides both. The federations of this binary run two at a time, each in a
//! data directory of its own, so the ECDSA Paillier primes and aux info are made once per slot
//! and machine.

mod chaos;
mod completion_gas;
mod faults;
mod federation;
mod payloads;

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

use federation::{check, check_answers_sent, check_eq, Federation, Finished, Setup, TestResult};
use mpc_devnet::{verified_signatures, DevnetKey};
use mpc_interfaces::signature_requests::SignRequestStatus;
use mpc_interfaces::KeyType;

/// Two federations at a time, each in a directory of its own: they mostly wait for blocks and
/// timeouts, so two halve the binary's time on two cores without starving either.
static SLOTS: [Mutex<()>; 2] = [Mutex::new(()), Mutex::new(())];

const PARTIES: usize = 3;
const THRESHOLD: u32 = 2;

/// A free slot: its guard, and the directory where a federation of `parties` keeps its stores
/// in it ([`chaos::run::data_dir`], suffixed for the second slot), so each keeps its ECDSA
/// primes and aux info across runs.
fn slot(parties: usize) -> (MutexGuard<'static, ()>, PathBuf) {
    loop {
        for (i, slot) in SLOTS.iter().enumerate() {
            let guard = match slot.try_lock() {
                Ok(guard) => guard,
                Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => continue,
            };
            let dir = chaos::run::data_dir(parties);
            let dir = match i {
                0 => dir,
                i => PathBuf::from(format!("{}-slot{i}", dir.display())),
            };
            return (guard, dir);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A federation of `parties` in a free slot.
fn federation(parties: usize, setup: &Setup) -> (MutexGuard<'static, ()>, Federation) {
    let (guard, dir) = slot(parties);
    let threshold = setup.threshold.unwrap_or(THRESHOLD);
    let federation =
        Federation::start_with(&dir, parties, threshold, setup).expect("federation starts");
    (guard, federation)
}

/// Runs a scenario; on failure prints the connectors' logs with the error.
fn run(scenario: impl FnOnce(&mut Federation) -> TestResult<()>) {
    run_with(&Setup::default(), scenario)
}

/// [`run`] on a federation started with `setup`.
fn run_with(setup: &Setup, scenario: impl FnOnce(&mut Federation) -> TestResult<()>) {
    run_on(PARTIES, setup, scenario)
}

/// [`run_with`] on a federation of `parties`.
fn run_on(parties: usize, setup: &Setup, scenario: impl FnOnce(&mut Federation) -> TestResult<()>) {
    let (_guard, mut federation) = federation(parties, setup);
    if let Err(e) = scenario(&mut federation) {
        panic!("{e}\n{}", federation.logs());
    }
}

/// A signature request the approver turns `pending`: checks the states as of the two blocks and
/// returns the request id, the approval's height and when it was seen.
fn request_and_approve(
    f: &Federation,
    key: &DevnetKey,
    message: &[u8],
) -> TestResult<(u64, u64, Instant)> {
    let (id, requested) = f.request_signature(key, &[message])?;
    let partial = f.signature_request(id, Some(requested.height))?;
    check_eq(
        partial.status,
        SignRequestStatus::Partial,
        "after the request",
    )?;
    let approved = f.approve(id)?;
    let seen = Instant::now();
    let pending = f.signature_request(id, Some(approved.height))?;
    check_eq(
        pending.status,
        SignRequestStatus::Pending,
        "after the approval",
    )?;
    check(
        pending.answers.is_empty(),
        "no answer in the approval's block",
    )?;
    Ok((id, approved.height, seen))
}

/// The request is fulfilled, its signatures verify against the key outside the chain, and its
/// answers come from distinct parties of the keyring.
fn check_fulfilled(f: &Federation, key: &DevnetKey, finished: &Finished) -> TestResult<()> {
    let request = &finished.request;
    verified_signatures(key, request).map_err(|e| e.to_string())?;
    let mut answering: Vec<&str> = request.answers.iter().map(|a| a.party.as_str()).collect();
    answering.sort();
    answering.dedup();
    check_eq(
        answering.len(),
        request.answers.len(),
        "one answer per party",
    )?;
    check(
        answering.len() >= THRESHOLD as usize,
        "at least the threshold answered",
    )?;
    for party in answering {
        check(
            f.parties.iter().any(|p| p.address == party),
            "answers come from the keyring's parties",
        )?;
    }
    Ok(())
}

/// [`check_answers_sent`] for signature requests.
fn check_transactions(
    f: &Federation,
    finished: &[Finished],
    before: &[u64],
    after: &[u64],
    extra: u64,
) -> TestResult<()> {
    let answered: Vec<Vec<String>> = finished
        .iter()
        .map(|done| {
            let answers = &done.request.answers;
            answers.iter().map(|a| a.party.to_string()).collect()
        })
        .collect();
    check_answers_sent(f, &answered, before, after, extra).map(drop)
}

#[test]
fn both_key_types_go_from_request_to_a_signature_verified_off_chain() {
    run(|f| {
        for key_type in [KeyType::EcdsaSecp256k1, KeyType::EddsaEd25519] {
            let key = f.request_key(key_type)?;
            let expected_len = match key_type {
                KeyType::EcdsaSecp256k1 => 33,
                KeyType::EddsaEd25519 => 32,
            };
            check_eq(key.public_key.len(), expected_len, "public key length")?;
            let before = f.settled_sequences()?;
            let (id, approved_height, seen) =
                request_and_approve(f, &key, b"pay 10 ATOM to the bridge")?;
            let finished = f.wait_final(id, seen)?;
            check_fulfilled(f, &key, &finished)?;
            let last_answer = finished.request.answers.iter().map(|a| a.height).max();
            let blocks = last_answer.unwrap_or_default() - approved_height;
            check(
                finished
                    .request
                    .answers
                    .iter()
                    .all(|a| a.height > approved_height),
                "answers come after the approval",
            )?;
            let after = f.settled_sequences()?;
            check_transactions(f, std::slice::from_ref(&finished), &before, &after, 0)?;
            println!(
                "{}: request {id} pending -> fulfilled in {blocks} blocks, {:.2} s",
                key_type.as_str(),
                finished.seconds
            );
        }
        Ok(())
    });
}

#[test]
fn connectors_cut_off_from_the_node_catch_up_on_what_they_missed() {
    run(|f| {
        let key = f.request_key(KeyType::EddsaEd25519)?;
        let reconnects = |f: &Federation| -> TestResult<Vec<u64>> {
            (0..PARTIES)
                .map(|i| f.counter(i, "reconnects_total", ""))
                .collect()
        };

        // The RPC (websocket and HTTP) is cut while two requests are made and approved.
        f.relay.cut();
        for i in 0..PARTIES {
            f.wait_disconnected(i, Duration::from_secs(60))?;
        }
        let before = reconnects(f)?;
        let mut ids = Vec::new();
        for message in [&b"made while cut off 1"[..], b"made while cut off 2"] {
            ids.push(request_and_approve(f, &key, message)?);
        }
        let height = f.chain.height().map_err(|e| e.to_string())?;
        f.chain
            .wait_for_height(height + 5)
            .map_err(|e| e.to_string())?;
        for (id, _, _) in &ids {
            let request = f.signature_request(*id, None)?;
            check_eq(request.status, SignRequestStatus::Pending, "while cut off")?;
            check(request.answers.is_empty(), "nobody answered while cut off")?;
        }
        f.relay.restore();
        for (id, _, seen) in ids {
            let finished = f.wait_final(id, seen)?;
            check_fulfilled(f, &key, &finished)?;
        }
        let after = reconnects(f)?;
        for i in 0..PARTIES {
            check(after[i] > before[i], "every connector reconnected")?;
        }

        // The node itself goes down and comes back.
        f.chain
            .restart_node(Duration::from_secs(2))
            .map_err(|e| e.to_string())?;
        for i in 0..PARTIES {
            f.wait_connected(i, Duration::from_secs(120))?;
        }
        let (id, _, seen) = request_and_approve(f, &key, b"after the node restarted")?;
        let finished = f.wait_final(id, seen)?;
        check_fulfilled(f, &key, &finished)
    });
}

#[test]
fn a_connector_recovers_when_its_account_sequence_moved_under_it() {
    run(|f| {
        let key = f.request_key(KeyType::EddsaEd25519)?;
        let before = f.settled_sequences()?;
        // Another transaction from each party's account (as an operator paying from the same
        // key would): every connector's cached sequence is now one behind.
        let to = f
            .chain
            .account("alice")
            .map_err(|e| e.to_string())?
            .address
            .clone();
        for party in &f.parties {
            f.chain
                .bank_send(&party.name, &to, "1stake")
                .map_err(|e| e.to_string())?;
        }
        let (id, _, seen) = request_and_approve(f, &key, b"sequence moved")?;
        let finished = f.wait_final(id, seen)?;
        check_fulfilled(f, &key, &finished)?;
        let after = f.settled_sequences()?;
        check_transactions(f, std::slice::from_ref(&finished), &before, &after, 1)?;
        let recovered = f.parties.iter().any(|p| {
            std::fs::read_to_string(&p.log_path)
                .unwrap_or_default()
                .contains(mpc_connector::chain::cosmos::sender::SEQUENCE_MISMATCH_RETRY)
        });
        check(recovered, "a connector met the mismatch and retried")
    });
}
