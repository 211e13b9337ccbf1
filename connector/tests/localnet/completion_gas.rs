//! The answer that completes a request, executed after another answer of the same block.
//!
//! Each party simulates its answer against the state it sees, where the request lacks its
//! answer and the others'. When two answers land in one block, the second to execute completes
//! the threshold: it settles the request and pays the parties, a path its simulation never
//! took. With the connector's defaults that answer must still land (it carries the completion's
//! gas) and no answer reserves much more than it uses; the requester's callback runs in a
//! `RunCallback` of its own, sent by the party whose answer settled the request. With a tight
//! multiplier and no reserve an answer runs out of gas and must be sent again until it lands.
//!
//! Whether two answers share a block is up to the node, so each scenario makes requests until
//! one was completed that way (the parties finish their MPC run together, so this takes one or
//! two requests) and checks every request on the way.

use mpc_connector::config::Config;
use mpc_connector::worker::submit::{OUT_OF_GAS_LOG, REFUSED_LOG};
use mpc_devnet::{item_of, verified_signatures, DevnetKey};
use mpc_interfaces::keyring::KeyRequestStatus;
use mpc_interfaces::signature_requests::{SignRequestStatus, SignatureRequestResponse};
use mpc_interfaces::workspace::ExecuteMsg as WorkspaceExecute;
use mpc_interfaces::{events, KeyType, Policy};
use serde_json::json;

use super::federation::{event_id, test_artifact, Federation, Setup, APPROVER, REQUESTER};
use super::{check, check_eq, run_with, TestResult, PARTIES, THRESHOLD};

/// Fee of every key and signature request: the completing answer pays it out to the parties.
const FEE: u128 = 3_000;
/// Requests per scenario at most, waiting for a completion that landed second in its block.
const MAX_REQUESTS: usize = 8;
/// Storage writes the dApp's callback makes per signature (a bridge journaling it).
const CALLBACK_WORK: u32 = 40;
/// How long the settling party may take to run the callback after the request is final.
const CALLBACK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);
/// The most an answer's gas limit may be of its use with the defaults: the completion's
/// reserve (~0.2M) over an answer's ~0.2M use, nothing for a callback.
const MAX_LIMIT_TO_USE: f64 = 2.5;

/// A contract that owns a workspace seat and asks for signatures with a callback.
struct Dapp {
    address: String,
    workspace_id: u64,
}

impl Dapp {
    /// Deploys the callback receiver and a workspace of the requester, the approver and the
    /// dApp, whose sign policy needs the dApp (the requester) and the approver.
    fn deploy(f: &Federation) -> TestResult<Self> {
        let address = f
            .chain
            .store_and_instantiate(
                &test_artifact("mpc_callback_receiver.wasm")?,
                &json!({
                    "signature_requests": f.contracts.signature_requests,
                    "work": CALLBACK_WORK,
                }),
                "dapp",
            )
            .map_err(|e| format!("dapp: {e}"))?;
        let approver = f.chain.account(APPROVER).map_err(|e| e.to_string())?;
        let created = f
            .chain
            .execute(
                REQUESTER,
                &f.contracts.workspace,
                &WorkspaceExecute::CreateWorkspace {
                    additional_owners: vec![approver.address.clone(), address.clone()],
                    admin_policy: None,
                    sign_policy: Some(Policy::AnyOf {
                        threshold: 2,
                        of: vec![
                            Policy::Approver(address.clone()),
                            Policy::Approver(approver.address.clone()),
                        ],
                    }),
                    alias: Some("dapp".into()),
                },
                None,
            )
            .map_err(|e| format!("dapp workspace: {e}"))?;
        let workspace_id = event_id(
            &created,
            events::WORKSPACE_EVENT,
            events::attr::WORKSPACE_ID,
        )?;
        Ok(Self {
            address,
            workspace_id,
        })
    }

    /// The requester has the dApp ask for a signature of `message` (paying the fee through it);
    /// the approver approves; waits until the request is final and its callback recorded.
    fn sign(
        &self,
        f: &mut Federation,
        key: &DevnetKey,
        message: &[u8],
    ) -> TestResult<SignatureRequestResponse> {
        let item = cosmwasm_std::Binary::new(item_of(key.key_type, message));
        let (id, _) = f.execute_for_id(
            REQUESTER,
            &self.address,
            &json!({"request_signature": {"key_id": key.key_id, "items": [item]}}),
            events::SIGNATURE_REQUEST_EVENT,
        )?;
        let approved = f.approve(id)?;
        let pending = f.signature_request(id, Some(approved.height))?;
        check_eq(pending.status, SignRequestStatus::Pending, "after approval")?;
        check_eq(
            pending.callback.as_ref().map(|a| a.to_string()),
            Some(self.address.clone()),
            "the request calls the dApp back",
        )?;
        let finished = f.wait_final(id, std::time::Instant::now())?.request;
        // The settling party runs the callback once it sees its answer settled the request.
        let called_back = f.wait(
            &format!("the dApp's callback for {id}"),
            CALLBACK_WAIT,
            |f| {
                f.chain
                    .query_smart::<Option<serde_json::Value>>(
                        &self.address,
                        &json!({"finished": {"request_id": id}}),
                    )
                    .map_err(|e| format!("dapp query: {e}"))
            },
        )?;
        check(
            !f.signature_request(id, None)?.callback_due,
            "the callback is no longer due",
        )?;
        check_eq(
            called_back["status"].as_str(),
            Some("fulfilled"),
            "status the callback brought",
        )?;
        check_eq(
            serde_json::to_value(&finished.signatures).map_err(|e| e.to_string())?,
            called_back["signatures"].clone(),
            "signatures the callback brought",
        )?;
        Ok(finished)
    }
}

/// Whether the answer that reached the threshold executed after another answer of its block
/// (answers are listed in the order they executed).
fn completed_second_in_its_block(heights: &[u64]) -> bool {
    let t = THRESHOLD as usize;
    heights.len() >= t && heights[t - 1] == heights[t - 2]
}

/// Transactions each party sent while `request` ran: one per answer of its on chain, plus at
/// most one answer that came too late, plus the tries that ran out of gas, plus the callback
/// the settling party (`settled_by`, the last to answer) ran. Returns every included
/// transaction's gas (wanted, used).
fn check_sent(
    f: &Federation,
    answered_by: &[String],
    settled_by: Option<&String>,
    before: &[u64],
    out_of_gas_before: &[u64],
) -> TestResult<Vec<(u64, u64)>> {
    let after = f.settled_sequences()?;
    let mut gas = vec![];
    for (i, party) in f.parties.iter().enumerate() {
        let sent = after[i] - before[i];
        let out_of_gas = out_of_gas(f, i)? - out_of_gas_before[i];
        let callback = u64::from(settled_by == Some(&party.address));
        let answered = answered_by.contains(&party.address);
        let what = format!("{}'s transactions ({out_of_gas} out of gas)", party.name);
        if answered {
            check_eq(sent, 1 + out_of_gas + callback, &what)?;
        } else {
            check(sent <= 1 + out_of_gas, &format!("{what}: {sent}"))?;
        }
        for sequence in before[i]..after[i] {
            let tx = f
                .chain
                .transaction_result(&party.address, sequence)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("{}'s transaction {sequence} is not found", party.name))?;
            gas.push((tx.gas_wanted, tx.gas_used));
        }
    }
    Ok(gas)
}

fn out_of_gas(f: &Federation, i: usize) -> TestResult<u64> {
    f.counter(i, "tx_errors_total", r#"reason="out_of_gas""#)
}

fn out_of_gas_all(f: &Federation) -> TestResult<Vec<u64>> {
    (0..PARTIES).map(|i| out_of_gas(f, i)).collect()
}

/// One fulfilled request: what it made, who answered it and the heights of its answers (in the
/// order they executed), and whether a callback ran.
struct Made<T> {
    value: T,
    answered: Vec<String>,
    heights: Vec<u64>,
    callback: bool,
}

/// What [`requests_until`] made: the last request's value, how many requests, and the gas
/// (wanted, used) of every transaction the parties sent for them.
struct Requests<T> {
    last: T,
    made: usize,
    gas: Vec<(u64, u64)>,
}

/// Makes requests with `make` (given the count so far) until `until` holds after one (given the
/// answers' heights); checks each party's transactions for every request.
fn requests_until<T>(
    f: &mut Federation,
    what: &str,
    mut make: impl FnMut(&mut Federation, usize) -> TestResult<Made<T>>,
    until: impl Fn(&Federation, &[u64]) -> TestResult<bool>,
) -> TestResult<Requests<T>> {
    let mut gas = vec![];
    for made in 1..=MAX_REQUESTS {
        let before = f.settled_sequences()?;
        let oog_before = out_of_gas_all(f)?;
        let request = make(f, made)?;
        let settled_by = request.callback.then(|| request.answered.last()).flatten();
        gas.extend(check_sent(
            f,
            &request.answered,
            settled_by,
            &before,
            &oog_before,
        )?);
        if until(f, &request.heights)? {
            return Ok(Requests {
                last: request.value,
                made,
                gas,
            });
        }
    }
    Err(format!(
        "{MAX_REQUESTS} {what} and none completed as wanted"
    ))
}

impl<T> Made<T> {
    /// What a request made, with its answers' parties and heights.
    fn new(value: T, answers: impl Iterator<Item = (String, u64)>, callback: bool) -> Self {
        let (answered, heights) = answers.unzip();
        Self {
            value,
            answered,
            heights,
            callback,
        }
    }
}

/// An ECDSA key of the dApp's workspace, fulfilled.
fn key_request(f: &mut Federation, workspace_id: u64) -> TestResult<Made<DevnetKey>> {
    let (key, request) = f.request_key_in(workspace_id, KeyType::EcdsaSecp256k1)?;
    check_eq(request.status, KeyRequestStatus::Fulfilled, "key request")?;
    let answers = request.answers.iter();
    Ok(Made::new(
        key,
        answers.map(|a| (a.party.to_string(), a.height)),
        false,
    ))
}

/// A signature request through the dApp, fulfilled with signatures that verify.
fn signature_request(
    f: &mut Federation,
    dapp: &Dapp,
    key: &DevnetKey,
    made: usize,
) -> TestResult<Made<()>> {
    let request = dapp.sign(f, key, format!("bridge transfer {made}").as_bytes())?;
    check_eq(
        request.status,
        SignRequestStatus::Fulfilled,
        "signature request",
    )?;
    verified_signatures(key, &request).map_err(|e| e.to_string())?;
    let answers = request.answers.iter();
    Ok(Made::new(
        (),
        answers.map(|a| (a.party.to_string(), a.height)),
        true,
    ))
}

#[test]
fn with_the_defaults_an_answer_completing_after_another_in_its_block_lands() {
    let setup = Setup {
        fee: FEE,
        ..Setup::default()
    };
    run_with(&setup, |f| {
        let dapp = Dapp::deploy(f)?;
        let workspace_id = dapp.workspace_id;
        let keys = requests_until(
            f,
            "key requests",
            |f, _| key_request(f, workspace_id),
            |_, heights| Ok(completed_second_in_its_block(heights)),
        )?;
        let signatures = requests_until(
            f,
            "signature requests",
            |f, made| signature_request(f, &dapp, &keys.last, made),
            |_, heights| Ok(completed_second_in_its_block(heights)),
        )?;
        for i in 0..PARTIES {
            check_eq(
                out_of_gas(f, i)?,
                0,
                &format!("{}'s out-of-gas answers", f.parties[i].name),
            )?;
        }
        // No transaction reserves much more than it uses: the limit is what the SDK charges.
        for (wanted, used) in keys.gas.iter().chain(&signatures.gas) {
            check(
                *wanted as f64 <= MAX_LIMIT_TO_USE * *used as f64,
                &format!("gas limit {wanted} for {used} used (at most {MAX_LIMIT_TO_USE}x)"),
            )?;
        }
        let ratio = |gas: &[(u64, u64)]| {
            let (wanted, used) = gas.iter().fold((0, 0), |(w, u), (a, b)| (w + a, u + b));
            format!("{} txs, limit {wanted} / used {used}", gas.len())
        };
        println!(
            "completed second in its block: key request after {}, signature request \
             (with callback) after {} requests; no answer ran out of gas; keys: {}; \
             signatures with callbacks: {}",
            keys.made,
            signatures.made,
            ratio(&keys.gas),
            ratio(&signatures.gas)
        );
        Ok(())
    });
}

/// The fault: answers padded by their simulation alone (multiplier 1.0, no reserve).
fn tight_gas(config: &mut Config) {
    config.chain.cosmos.gas_multiplier = 1.0;
    config.worker.reserve_completion_gas = false;
}

#[test]
fn an_answer_that_runs_out_of_gas_is_sent_again_with_more_and_lands() {
    let setup = Setup {
        fee: FEE,
        configure: Some(tight_gas),
        ..Setup::default()
    };
    run_with(&setup, |f| {
        let dapp = Dapp::deploy(f)?;
        // Whether the parties ran out of gas more than `before` times in all.
        let ran_out = |f: &Federation, before: u64| -> TestResult<bool> {
            Ok(out_of_gas_all(f)?.iter().sum::<u64>() > before)
        };
        let workspace_id = dapp.workspace_id;
        let keys = requests_until(
            f,
            "key requests",
            |f, _| key_request(f, workspace_id),
            |f, _| ran_out(f, 0),
        )?;
        let before = out_of_gas_all(f)?.iter().sum::<u64>();
        let signatures = requests_until(
            f,
            "signature requests",
            |f, made| signature_request(f, &dapp, &keys.last, made),
            |f, _| ran_out(f, before),
        )?;
        let logged = f.parties.iter().any(|p| {
            std::fs::read_to_string(&p.log_path)
                .unwrap_or_default()
                .contains(OUT_OF_GAS_LOG)
        });
        check(logged, "the out-of-gas retry is logged as such")?;
        // The submitter logs a refused answer with the chain's log beside it: an out-of-gas
        // answer taken for a refusal would show both on one line.
        let refused = f.parties.iter().any(|p| {
            std::fs::read_to_string(&p.log_path)
                .unwrap_or_default()
                .lines()
                .any(|line| line.contains(REFUSED_LOG) && line.contains("out of gas"))
        });
        check(!refused, "no out-of-gas answer is called a refusal")?;
        println!(
            "out of gas and sent again: key request after {}, signature request after {} \
             requests; all fulfilled",
            keys.made, signatures.made
        );
        Ok(())
    });
}
