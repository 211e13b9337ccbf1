//! Callbacks to requesting contracts: due on every final status, run once by `RunCallback`
//! (anyone, paying its gas), and a failing receiver recorded without reverting it.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{
    to_json_binary, Addr, Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdError,
    StdResult, WasmMsg,
};
use cw_multi_test::{App, AppResponse, Contract, ContractWrapper, Executor};
use cw_storage_plus::{Item, Map};
use mpc_interfaces::signature_requests::{ExecuteMsg, SignRequestStatus};
use mpc_interfaces::KeyType;
use mpc_signature_requests::ContractError;

use crate::suite::*;

#[cw_serde]
struct ReceiverInit {
    fail: bool,
}

#[cw_serde]
enum ReceiverMsg {
    /// Send `msg` to `contract` with the attached funds (the receiver is the requester).
    Forward { contract: String, msg: Binary },
    /// The shape of `CallbackMsg::SignatureRequestFinished`.
    SignatureRequestFinished {
        request_id: u64,
        status: SignRequestStatus,
        signatures: Option<Vec<Binary>>,
        recovery_ids: Option<Vec<u8>>,
    },
}

#[cw_serde]
struct Recorded {
    status: SignRequestStatus,
    signatures: Option<Vec<Binary>>,
    recovery_ids: Option<Vec<u8>>,
    sender: Addr,
}

const FAIL: Item<bool> = Item::new("fail");
const RECORDED: Map<u64, Recorded> = Map::new("recorded");

fn receiver_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        |deps: DepsMut, _env: Env, info: MessageInfo, msg: ReceiverMsg| -> StdResult<Response> {
            match msg {
                ReceiverMsg::Forward { contract, msg } => {
                    Ok(Response::new().add_message(WasmMsg::Execute {
                        contract_addr: contract,
                        msg,
                        funds: info.funds,
                    }))
                }
                ReceiverMsg::SignatureRequestFinished {
                    request_id,
                    status,
                    signatures,
                    recovery_ids,
                } => {
                    if FAIL.load(deps.storage)? {
                        return Err(StdError::msg("receiver is broken"));
                    }
                    let record = Recorded { status, signatures, recovery_ids, sender: info.sender };
                    RECORDED.save(deps.storage, request_id, &record)?;
                    Ok(Response::new())
                }
            }
        },
        |deps: DepsMut, _env: Env, _info: MessageInfo, msg: ReceiverInit| -> StdResult<Response> {
            FAIL.save(deps.storage, &msg.fail)?;
            Ok(Response::new())
        },
        |deps: Deps, _env: Env, request_id: u64| -> StdResult<Binary> {
            to_json_binary(&RECORDED.may_load(deps.storage, request_id)?)
        },
    ))
}

/// A suite whose workspace is also owned by a recording and a failing receiver contract.
fn suite_with_receivers() -> (Suite, Addr, Addr) {
    let mut receivers = vec![];
    let suite = Suite::build(None, |app: &mut App| {
        let code = app.store_code(receiver_contract());
        let deployer = app.api().addr_make("deployer");
        for fail in [false, true] {
            receivers.push(
                app.instantiate_contract(
                    code,
                    deployer.clone(),
                    &ReceiverInit { fail },
                    &[],
                    "receiver",
                    None,
                )
                .unwrap(),
            );
        }
        receivers.clone()
    });
    (suite, receivers[0].clone(), receivers[1].clone())
}

/// alice pays; `receiver` is the requester and asks to be called back.
fn request_via(suite: &mut Suite, receiver: &Addr, key_id: u64, callback: bool) -> u64 {
    let msg = ExecuteMsg::RequestSignature {
        key_id,
        items: vec![hash(1)],
        approval_timeout_blocks: None,
        mpc_timeout_blocks: None,
        callback,
        max_fee: None,
    };
    let (alice, contract) = (suite.alice.clone(), suite.contract.to_string());
    let res = suite
        .app
        .execute_contract(
            alice,
            receiver.clone(),
            &ReceiverMsg::Forward { contract, msg: to_json_binary(&msg).unwrap() },
            &Suite::fee(),
        )
        .unwrap();
    event_attr(&res, "wasm-signature_request", "request_id").parse().unwrap()
}

fn recorded(suite: &Suite, receiver: &Addr, request_id: u64) -> Option<Recorded> {
    suite.app.wrap().query_wasm_smart(receiver, &request_id).unwrap()
}

fn run_callback(suite: &mut Suite, sender: &Addr, request_id: u64) -> StdResult<AppResponse> {
    suite.execute(sender, &ExecuteMsg::RunCallback { request_id }, &[])
}

#[test]
fn a_receiver_is_called_back_with_the_signatures_by_run_callback() {
    let (mut suite, receiver, _) = suite_with_receivers();
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let id = request_via(&mut suite, &receiver, key_id, true);
    let request = suite.query_request(id);
    assert_eq!(request.requester, receiver);
    assert_eq!(request.callback, Some(receiver.clone()));
    assert!(!request.callback_due, "not final yet");

    let parties = suite.parties.clone();
    let good = suite.sign(id);
    suite.submit(&parties[0], id, good.clone()).unwrap();
    let settled = suite.submit(&parties[1], id, good).unwrap();
    // The settling answer does not run the receiver (it would pay for its gas): it says a
    // callback is due, and to whom.
    assert_eq!(actions(&settled), vec!["party_result", "fulfilled"]);
    assert_eq!(attr_value(request_events(&settled)[1], "callback"), receiver.to_string());
    assert_eq!(recorded(&suite, &receiver, id), None);
    assert!(suite.query_request(id).callback_due);

    // Anyone may run it, once.
    let outsider = suite.outsider.clone();
    let ran = run_callback(&mut suite, &outsider, id).unwrap();
    assert_eq!(actions(&ran), vec!["callback_run"]);
    assert_eq!(attr_value(request_events(&ran)[0], "sender"), outsider.to_string());
    let record = recorded(&suite, &receiver, id).expect("called back");
    assert_eq!(record.status, SignRequestStatus::Fulfilled);
    assert_eq!(record.signatures, suite.query_request(id).signatures);
    // With the recovery ids of the ECDSA signatures, as the request query shows them.
    assert_eq!(record.recovery_ids, suite.query_request(id).recovery_ids);
    assert_eq!(record.recovery_ids.as_ref().map(Vec::len), Some(1));
    assert_eq!(record.sender, suite.contract);
    assert!(!suite.query_request(id).callback_due);
}

#[test]
fn expiry_and_rejection_make_the_callback_due_with_their_status() {
    let (mut suite, receiver, _) = suite_with_receivers();
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let rejected = request_via(&mut suite, &receiver, key_id, true);
    let expired = request_via(&mut suite, &receiver, key_id, true);
    let parties = suite.parties.clone();
    suite.submit(&parties[0], rejected, Suite::failure("down")).unwrap();
    suite.submit(&parties[1], rejected, Suite::failure("down")).unwrap();
    // The refund goes to the requester, the receiver contract.
    assert_eq!(suite.balance(&receiver, DENOM), FEE);
    let alice = suite.alice.clone();
    run_callback(&mut suite, &alice, rejected).unwrap();
    let record = recorded(&suite, &receiver, rejected).unwrap();
    assert_eq!(record.status, SignRequestStatus::Rejected);
    assert_eq!(record.signatures, None);
    assert_eq!(record.recovery_ids, None);

    suite.advance(MPC_TIMEOUT + 1);
    let outsider = suite.outsider.clone();
    suite.expire(&outsider, vec![expired]).unwrap();
    assert_eq!(suite.balance(&receiver, DENOM), 2 * FEE);
    run_callback(&mut suite, &outsider, expired).unwrap();
    let record = recorded(&suite, &receiver, expired).unwrap();
    assert_eq!(record.status, SignRequestStatus::Expired);
}

#[test]
fn a_failing_receiver_is_recorded_and_its_callback_spent() {
    let (mut suite, _, broken) = suite_with_receivers();
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let id = request_via(&mut suite, &broken, key_id, true);
    let parties = suite.parties.clone();
    let good = suite.sign(id);
    suite.submit(&parties[0], id, good.clone()).unwrap();
    suite.submit(&parties[1], id, good).unwrap();
    assert_eq!(suite.balance(&parties[0], DENOM), 151);
    assert_eq!(suite.balance(&parties[1], DENOM), 150);

    let outsider = suite.outsider.clone();
    let res = run_callback(&mut suite, &outsider, id).unwrap();
    assert_eq!(actions(&res), vec!["callback_run", "callback_failed"]);
    let failed = request_events(&res)[1];
    assert_eq!(attr_value(failed, "request_id"), id.to_string());
    // Chains redact the receiver's error text, so only its presence is promised.
    assert!(!attr_value(failed, "reason").is_empty());
    assert_eq!(suite.query_request(id).status, SignRequestStatus::Fulfilled);
    assert!(!suite.query_request(id).callback_due);
    suite.assert_refused(
        &outsider,
        &ExecuteMsg::RunCallback { request_id: id },
        &[],
        ContractError::CallbackAlreadyRun { request_id: id },
    );
}

#[test]
fn run_callback_refusals() {
    let (mut suite, receiver, _) = suite_with_receivers();
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let outsider = suite.outsider.clone();
    let run = |request_id| ExecuteMsg::RunCallback { request_id };
    suite.assert_refused(
        &outsider,
        &run(99),
        &[],
        ContractError::RequestNotFound { request_id: 99 },
    );
    let without = request_via(&mut suite, &receiver, key_id, false);
    suite.assert_refused(
        &outsider,
        &run(without),
        &[],
        ContractError::NoCallback { request_id: without },
    );
    let open = request_via(&mut suite, &receiver, key_id, true);
    suite.assert_refused(
        &outsider,
        &run(open),
        &[],
        ContractError::NotFinal { request_id: open, status: SignRequestStatus::Pending },
    );
    let parties = suite.parties.clone();
    let good = suite.sign(open);
    suite.submit(&parties[0], open, good.clone()).unwrap();
    suite.submit(&parties[1], open, good).unwrap();
    suite.assert_refused(
        &outsider,
        &run(open),
        &Suite::fee(),
        ContractError::Payment(cw_utils::PaymentError::NonPayable {}),
    );
    run_callback(&mut suite, &outsider, open).unwrap();
    suite.assert_refused(
        &outsider,
        &run(open),
        &[],
        ContractError::CallbackAlreadyRun { request_id: open },
    );
}

#[test]
fn a_contract_that_does_not_ask_is_not_called_back() {
    let (mut suite, receiver, _) = suite_with_receivers();
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let id = request_via(&mut suite, &receiver, key_id, false);
    assert_eq!(suite.query_request(id).callback, None);
    let parties = suite.parties.clone();
    let good = suite.sign(id);
    suite.submit(&parties[0], id, good.clone()).unwrap();
    let settled = suite.submit(&parties[1], id, good).unwrap();
    assert!(!settled.events.iter().any(|e| e.attributes.iter().any(|a| a.key == "callback")));
    assert!(!suite.query_request(id).callback_due);
    assert_eq!(recorded(&suite, &receiver, id), None);
}
