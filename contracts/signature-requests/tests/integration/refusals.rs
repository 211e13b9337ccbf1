//! Every refusal: the exact error, and nothing a user can see (requests, balances) changed.

use cosmwasm_std::{coin, Addr, Binary};
use cw_multi_test::Executor;
use mpc_contract_kit::contract::TooLong;
use mpc_contract_kit::fees::FeeError;
use mpc_contract_kit::lifecycle::LifecycleError;
use mpc_interfaces::keyring::ExecuteMsg as KeyringExecuteMsg;
use mpc_interfaces::signature_requests::{
    ExecuteMsg, SignRequestStatus, SignResult, MAX_EXPIRE_BATCH, MAX_ITEMS, MAX_MESSAGE_LEN,
    MAX_REASON_LEN,
};
use mpc_interfaces::{KeyType, Policy};
use mpc_signature_requests::ContractError;

use crate::suite::*;

fn submit(request_id: u64, result: SignResult) -> ExecuteMsg {
    ExecuteMsg::SubmitSignatureResult { request_id, result }
}

/// A suite with a 2-of-3 owners policy, an ECDSA key and one partial request by alice.
fn partial_request() -> (Suite, u64, u64) {
    let mut suite = Suite::with_policy(Some(Policy::Owners { threshold: Some(2) }));
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let alice = suite.alice.clone();
    let id = suite.request(&alice, key_id, vec![hash(1), hash(2)]);
    (suite, key_id, id)
}

/// A suite with the default policy and one pending request over two hashes.
fn pending_request() -> (Suite, u64, u64) {
    let mut suite = Suite::with_policy(None);
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let alice = suite.alice.clone();
    let id = suite.request(&alice, key_id, vec![hash(1), hash(2)]);
    (suite, key_id, id)
}

#[test]
fn request_refusals() {
    let mut suite = Suite::with_policy(None);
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let ed_key = suite.create_key(KeyType::EddsaEd25519, None);
    let (alice, outsider) = (suite.alice.clone(), suite.outsider.clone());
    let fee = Suite::fee();
    let ok_items = vec![hash(1)];

    suite.assert_refused(
        &outsider,
        &Suite::request_msg(key_id, ok_items.clone()),
        &fee,
        ContractError::NotOwner { sender: outsider.clone(), workspace_id: suite.workspace_id },
    );
    suite.assert_refused(&alice, &Suite::request_msg(key_id, vec![]), &fee, ContractError::NoItems);
    suite.assert_refused(
        &alice,
        &Suite::request_msg(key_id, vec![hash(1); MAX_ITEMS + 1]),
        &fee,
        ContractError::TooManyItems { count: MAX_ITEMS + 1, max: MAX_ITEMS },
    );
    suite.assert_refused(
        &alice,
        &Suite::request_msg(key_id, vec![hash(1), Binary::from(vec![1u8; 31])]),
        &fee,
        ContractError::WrongHashLength { index: 1, len: 31, expected: 32 },
    );
    suite.assert_refused(
        &alice,
        &Suite::request_msg(ed_key, vec![Binary::from(b"ok".to_vec()), Binary::default()]),
        &fee,
        ContractError::WrongMessageLength { index: 1, len: 0, max: MAX_MESSAGE_LEN },
    );
    suite.assert_refused(
        &alice,
        &Suite::request_msg(ed_key, vec![Binary::from(vec![0u8; MAX_MESSAGE_LEN + 1])]),
        &fee,
        ContractError::WrongMessageLength {
            index: 0,
            len: MAX_MESSAGE_LEN + 1,
            max: MAX_MESSAGE_LEN,
        },
    );
    suite.assert_refused(
        &alice,
        &Suite::request_msg(key_id, ok_items.clone()),
        &[],
        ContractError::Fee(FeeError::NoFunds { expected: format!("{FEE}{DENOM}") }),
    );
    suite.assert_refused(
        &alice,
        &Suite::request_msg(key_id, ok_items.clone()),
        &[coin(FEE, OTHER_DENOM)],
        ContractError::Fee(FeeError::ExtraDenom {
            denom: OTHER_DENOM.to_string(),
            expected: format!("{FEE}{DENOM}"),
        }),
    );
    suite.assert_refused(
        &alice,
        &Suite::request_msg(key_id, ok_items.clone()),
        &[coin(FEE - 1, DENOM)],
        ContractError::Fee(FeeError::WrongAmount {
            denom: DENOM.to_string(),
            expected: FEE.into(),
            sent: (FEE - 1).into(),
        }),
    );
    suite.assert_refused(
        &alice,
        &Suite::request_msg(key_id, ok_items.clone()),
        &[coin(FEE, DENOM), coin(1, OTHER_DENOM)],
        ContractError::Fee(FeeError::ExtraDenom {
            denom: OTHER_DENOM.to_string(),
            expected: format!("{FEE}{DENOM}"),
        }),
    );
    let too_long = ExecuteMsg::RequestSignature {
        key_id,
        items: ok_items.clone(),
        approval_timeout_blocks: Some(APPROVAL_TIMEOUT + 1),
        mpc_timeout_blocks: None,
        callback: false,
        max_fee: None,
    };
    suite.assert_refused(
        &alice,
        &too_long,
        &fee,
        ContractError::TimeoutOutOfRange(mpc_contract_kit::lifecycle::TimeoutOutOfRange {
            name: "approval_timeout_blocks",
            timeout: APPROVAL_TIMEOUT + 1,
            max: APPROVAL_TIMEOUT,
        }),
    );
    let zero = ExecuteMsg::RequestSignature {
        key_id,
        items: ok_items.clone(),
        approval_timeout_blocks: None,
        mpc_timeout_blocks: Some(0),
        callback: false,
        max_fee: None,
    };
    suite.assert_refused(
        &alice,
        &zero,
        &fee,
        ContractError::TimeoutOutOfRange(mpc_contract_kit::lifecycle::TimeoutOutOfRange {
            name: "mpc_timeout_blocks",
            timeout: 0,
            max: MPC_TIMEOUT,
        }),
    );
    let with_callback = ExecuteMsg::RequestSignature {
        key_id,
        items: ok_items.clone(),
        approval_timeout_blocks: None,
        mpc_timeout_blocks: None,
        callback: true,
        max_fee: None,
    };
    suite.assert_refused(
        &alice,
        &with_callback,
        &fee,
        ContractError::CallbackNotContract { sender: alice.clone() },
    );

    let (admin, keyring) = (suite.keyring_admin.clone(), suite.keyring.clone());
    let keyring_id = suite.keyring_id;
    suite
        .app
        .execute_contract(admin, keyring, &KeyringExecuteMsg::DeactivateKeyring { keyring_id }, &[])
        .unwrap();
    suite.assert_refused(
        &alice,
        &Suite::request_msg(key_id, ok_items),
        &fee,
        ContractError::KeyringInactive { keyring_id: suite.keyring_id },
    );
}

#[test]
fn vote_refusals() {
    let (mut suite, _, id) = partial_request();
    let (alice, bob, outsider) = (suite.alice.clone(), suite.bob.clone(), suite.outsider.clone());
    let party = suite.parties[0].clone();
    for stranger in [&outsider, &party] {
        suite.assert_refused(
            stranger,
            &ExecuteMsg::Approve { request_id: id },
            &[],
            ContractError::Lifecycle(LifecycleError::NotApprover { id, sender: stranger.clone() }),
        );
        suite.assert_refused(
            stranger,
            &ExecuteMsg::Reject { request_id: id },
            &[],
            ContractError::Lifecycle(LifecycleError::NotApprover { id, sender: stranger.clone() }),
        );
    }
    // The requester's own approval already counts.
    suite.assert_refused(
        &alice,
        &ExecuteMsg::Approve { request_id: id },
        &[],
        ContractError::Lifecycle(LifecycleError::AlreadyVoted { id, sender: alice.clone() }),
    );
    suite.assert_refused(
        &alice,
        &ExecuteMsg::Reject { request_id: id },
        &[],
        ContractError::Lifecycle(LifecycleError::AlreadyVoted { id, sender: alice.clone() }),
    );
    suite.assert_refused(
        &bob,
        &ExecuteMsg::Approve { request_id: 99 },
        &[],
        ContractError::RequestNotFound { request_id: 99 },
    );

    // Once pending, approvals are closed.
    suite.approve(&bob, id).unwrap();
    let carol = suite.carol.clone();
    suite.assert_refused(
        &carol,
        &ExecuteMsg::Approve { request_id: id },
        &[],
        ContractError::NotAwaitingApprovals { request_id: id, status: SignRequestStatus::Pending },
    );
}

#[test]
fn overdue_and_final_requests_refuse_votes() {
    let (mut suite, _, id) = partial_request();
    let bob = suite.bob.clone();
    suite.advance(APPROVAL_TIMEOUT + 1);
    suite.assert_refused(
        &bob,
        &ExecuteMsg::Approve { request_id: id },
        &[],
        ContractError::Lifecycle(LifecycleError::Expired { id }),
    );
    let outsider = suite.outsider.clone();
    suite.expire(&outsider, vec![id]).unwrap();
    suite.assert_refused(
        &bob,
        &ExecuteMsg::Reject { request_id: id },
        &[],
        ContractError::Lifecycle(LifecycleError::Closed { id, status: SignRequestStatus::Expired }),
    );
}

#[test]
fn submit_refusals() {
    let (mut suite, _, id) = pending_request();
    let (alice, outsider) = (suite.alice.clone(), suite.outsider.clone());
    let parties = suite.parties.clone();
    let good = suite.sign(id);
    let SignResult::Success { signatures, recovery_ids: ids } = good.clone() else {
        unreachable!()
    };
    let success =
        |signatures: Vec<Binary>| SignResult::Success { signatures, recovery_ids: ids.clone() };

    for stranger in [&outsider, &alice] {
        suite.assert_refused(
            stranger,
            &submit(id, good.clone()),
            &[],
            ContractError::Lifecycle(LifecycleError::NotParty { id, sender: stranger.clone() }),
        );
    }
    suite.assert_refused(
        &parties[0],
        &submit(
            id,
            SignResult::Success {
                signatures: signatures[..1].to_vec(),
                recovery_ids: ids[..1].to_vec(),
            },
        ),
        &[],
        ContractError::WrongSignatureCount { count: 1, expected: 2 },
    );
    let mut short = signatures.clone();
    short[1] = Binary::from(vec![1u8; 63]);
    suite.assert_refused(
        &parties[0],
        &submit(id, success(short)),
        &[],
        ContractError::WrongSignatureLength { index: 1, len: 63, expected: 64 },
    );
    // A real signature, but over another hash.
    let mut wrong = signatures.clone();
    wrong[1] = suite.sign_item(KeyType::EcdsaSecp256k1, &hash(9));
    suite.assert_refused(
        &parties[0],
        &submit(id, success(wrong)),
        &[],
        ContractError::InvalidSignature { index: 1 },
    );
    let mut garbage = signatures.clone();
    garbage[0] = Binary::from(vec![0xff; 64]);
    suite.assert_refused(
        &parties[0],
        &submit(id, success(garbage)),
        &[],
        ContractError::InvalidSignature { index: 0 },
    );
    suite.assert_refused(
        &parties[0],
        &submit(id, Suite::failure(&"x".repeat(MAX_REASON_LEN + 1))),
        &[],
        ContractError::TooLong(TooLong {
            field: "reason",
            len: MAX_REASON_LEN + 1,
            max: MAX_REASON_LEN,
        }),
    );

    suite.submit(&parties[0], id, good.clone()).unwrap();
    for again in [good.clone(), Suite::failure("changed my mind")] {
        suite.assert_refused(
            &parties[0],
            &submit(id, again),
            &[],
            ContractError::Lifecycle(LifecycleError::AlreadyAnswered {
                id,
                sender: parties[0].clone(),
            }),
        );
    }

    // Fulfilled: final, nothing more is taken.
    suite.submit(&parties[1], id, good.clone()).unwrap();
    suite.assert_refused(
        &parties[2],
        &submit(id, good),
        &[],
        ContractError::Lifecycle(LifecycleError::Closed {
            id,
            status: SignRequestStatus::Fulfilled,
        }),
    );
}

#[test]
fn results_are_refused_before_pending_and_after_the_deadline() {
    let (mut suite, _, partial) = partial_request();
    let party = suite.parties[0].clone();
    let good = suite.sign(partial);
    suite.assert_refused(
        &party,
        &submit(partial, good),
        &[],
        ContractError::NotPending { request_id: partial, status: SignRequestStatus::Partial },
    );

    let (mut suite, _, pending) = pending_request();
    let good = suite.sign(pending);
    suite.advance(MPC_TIMEOUT + 1);
    suite.assert_refused(
        &party,
        &submit(pending, good),
        &[],
        ContractError::Lifecycle(LifecycleError::Expired { id: pending }),
    );
}

#[test]
fn rejected_requests_are_final() {
    let (mut suite, _, id) = pending_request();
    let parties = suite.parties.clone();
    suite.submit(&parties[0], id, Suite::failure("down")).unwrap();
    suite.submit(&parties[1], id, Suite::failure("down")).unwrap();
    let good = suite.sign(id);
    suite.assert_refused(
        &parties[2],
        &submit(id, good),
        &[],
        ContractError::Lifecycle(LifecycleError::Closed {
            id,
            status: SignRequestStatus::Rejected,
        }),
    );
    let outsider = suite.outsider.clone();
    suite.advance(MPC_TIMEOUT + 1);
    suite.assert_refused(
        &outsider,
        &ExecuteMsg::Expire { request_ids: vec![id] },
        &[],
        ContractError::Lifecycle(LifecycleError::Closed {
            id,
            status: SignRequestStatus::Rejected,
        }),
    );
}

#[test]
fn expire_refusals() {
    let (mut suite, key_id, first) = pending_request();
    let alice = suite.alice.clone();
    suite.advance(MPC_TIMEOUT);
    let second = suite.request(&alice, key_id, vec![hash(3)]);
    suite.advance(1);
    let anyone = Addr::unchecked(suite.outsider.as_str());
    suite.assert_refused(
        &anyone,
        &ExecuteMsg::Expire { request_ids: vec![] },
        &[],
        ContractError::Lifecycle(LifecycleError::EmptyExpireBatch),
    );
    suite.assert_refused(
        &anyone,
        &ExecuteMsg::Expire { request_ids: vec![first; MAX_EXPIRE_BATCH + 1] },
        &[],
        ContractError::Lifecycle(LifecycleError::TooManyExpireIds {
            count: MAX_EXPIRE_BATCH + 1,
            max: MAX_EXPIRE_BATCH,
        }),
    );
    // One id that is not overdue refuses the whole batch.
    suite.assert_refused(
        &anyone,
        &ExecuteMsg::Expire { request_ids: vec![first, second] },
        &[],
        ContractError::Lifecycle(LifecycleError::NotOverdue { id: second }),
    );
    suite.assert_refused(
        &anyone,
        &ExecuteMsg::Expire { request_ids: vec![first, 77] },
        &[],
        ContractError::RequestNotFound { request_id: 77 },
    );
    suite.assert_refused(
        &anyone,
        &ExecuteMsg::Expire { request_ids: vec![first, first] },
        &[],
        ContractError::Lifecycle(LifecycleError::Closed {
            id: first,
            status: SignRequestStatus::Expired,
        }),
    );
}

/// The workspace contract is trusted for the policy in force, but a policy the owners cannot meet
/// (here: two of one owner, which the real workspace contract never answers) is refused at the
/// request rather than held until it expires.
#[test]
fn a_request_under_a_policy_no_owner_can_meet_is_refused() {
    use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response};
    use cosmwasm_std::{StdError, StdResult};
    use cw_multi_test::ContractWrapper;
    use mpc_interfaces::signature_requests::ExecuteMsg as UpdateMsg;
    use mpc_interfaces::workspace::{QueryMsg as WorkspaceQueryMsg, SignPolicyResponse};

    fn no_execute(_: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
        Err(StdError::msg("takes no messages"))
    }
    fn instantiate(_: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
        Ok(Response::new())
    }
    /// Names alice the only owner, and asks for two owners' approvals.
    fn query(_: Deps, _: Env, msg: WorkspaceQueryMsg) -> StdResult<Binary> {
        let WorkspaceQueryMsg::SignPolicy { workspace_id, .. } = msg else {
            return Err(StdError::msg("only SignPolicy"));
        };
        to_json_binary(&SignPolicyResponse {
            workspace_id,
            policy: Policy::Owners { threshold: Some(2) },
            key_policy: false,
            owners: vec![mpc_testing::addr("alice")],
            memberships: vec![0],
        })
    }

    let mut suite = Suite::with_policy(None);
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let alice = suite.alice.clone();
    let code = suite.app.store_code(Box::new(ContractWrapper::new(no_execute, instantiate, query)));
    let odd_workspace =
        suite.app.instantiate_contract(code, alice.clone(), &Empty {}, &[], "odd", None).unwrap();
    suite
        .execute(
            &alice,
            &UpdateMsg::UpdateConfig {
                workspace_contract: Some(odd_workspace.to_string()),
                keyring_contract: None,
                approval_timeout_blocks: None,
                mpc_timeout_blocks: None,
            },
            &[],
        )
        .unwrap();
    let workspace_id = suite.workspace_id;
    suite.assert_refused(
        &alice,
        &Suite::request_msg(key_id, vec![hash(1)]),
        &Suite::fee(),
        ContractError::PolicyUnsatisfiable { workspace_id },
    );
}

/// alice's request for one hash with `max_fee`.
fn with_max_fee(key_id: u64, max_fee: Vec<cosmwasm_std::Coin>) -> ExecuteMsg {
    ExecuteMsg::RequestSignature {
        key_id,
        items: vec![hash(1)],
        approval_timeout_blocks: None,
        mpc_timeout_blocks: None,
        callback: false,
        max_fee: Some(max_fee),
    }
}

#[test]
fn a_max_fee_pays_the_fee_in_force_and_returns_the_rest() {
    let mut suite = Suite::with_policy(None);
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let alice = suite.alice.clone();
    let before = suite.balance(&alice, DENOM);
    let max_fee = vec![coin(FEE + 99, DENOM)];
    suite.execute(&alice, &with_max_fee(key_id, max_fee.clone()), &max_fee).unwrap();
    assert_eq!(suite.balance(&alice, DENOM), before - FEE);
    assert_eq!(suite.balance(&suite.contract, DENOM), FEE);
    assert_eq!(suite.query_request(1).fee, Suite::fee());
}

#[test]
fn a_fee_raised_above_max_fee_refuses_the_request_and_charges_nothing() {
    let mut suite = Suite::with_policy(None);
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let (admin, keyring) = (suite.keyring_admin.clone(), suite.keyring.clone());
    let keyring_id = suite.keyring_id;
    // alice looked the fee up; the keyring's admin raises it before her request lands.
    let raise = KeyringExecuteMsg::UpdateKeyring {
        keyring_id,
        description: None,
        party_threshold: None,
        key_req_fee: None,
        sig_req_fee: Some(vec![coin(FEE + 1, DENOM)]),
    };
    suite.app.execute_contract(admin, keyring, &raise, &[]).unwrap();
    let alice = suite.alice.clone();
    suite.assert_refused(
        &alice,
        &with_max_fee(key_id, Suite::fee()),
        &Suite::fee(),
        ContractError::Fee(FeeError::AboveMax {
            fee: format!("{}{DENOM}", FEE + 1),
            max_fee: format!("{FEE}{DENOM}"),
        }),
    );
}

/// An ECDSA answer carries one recovery id (0 or 1) per signature, the one that recovers the
/// key (`secp256k1_recover_pubkey`); an EdDSA answer none.
#[test]
fn recovery_id_refusals() {
    let (mut suite, _, id) = pending_request();
    let p1 = suite.parties[0].clone();
    let SignResult::Success { signatures, recovery_ids: ids } = suite.sign(id) else {
        unreachable!()
    };
    assert_eq!(ids.len(), 2);
    let with_ids = |recovery_ids: Vec<u8>| {
        submit(id, SignResult::Success { signatures: signatures.clone(), recovery_ids })
    };
    suite.assert_refused(
        &p1,
        &with_ids(vec![]),
        &[],
        ContractError::WrongRecoveryIdCount { count: 0, expected: 2 },
    );
    suite.assert_refused(
        &p1,
        &with_ids(ids[..1].to_vec()),
        &[],
        ContractError::WrongRecoveryIdCount { count: 1, expected: 2 },
    );
    suite.assert_refused(
        &p1,
        &with_ids(vec![ids[0], ids[1], 0]),
        &[],
        ContractError::WrongRecoveryIdCount { count: 3, expected: 2 },
    );
    for out_of_range in [2, 3] {
        suite.assert_refused(
            &p1,
            &with_ids(vec![ids[0], out_of_range]),
            &[],
            ContractError::RecoveryIdOutOfRange { index: 1, id: out_of_range },
        );
    }
    // The other id of a valid signature recovers another key.
    suite.assert_refused(
        &p1,
        &with_ids(vec![1 - ids[0], ids[1]]),
        &[],
        ContractError::WrongRecoveryId { index: 0, id: 1 - ids[0] },
    );
    suite.submit(&p1, id, with_ids_result(&signatures, &ids)).unwrap();

    // EdDSA: no recovery ids.
    let ed_key = suite.create_key(KeyType::EddsaEd25519, None);
    let alice = suite.alice.clone();
    let ed_id = suite.request(&alice, ed_key, vec![Binary::from(b"message".to_vec())]);
    let SignResult::Success { signatures, recovery_ids } = suite.sign(ed_id) else {
        unreachable!()
    };
    assert!(recovery_ids.is_empty());
    suite.assert_refused(
        &p1,
        &submit(ed_id, SignResult::Success { signatures, recovery_ids: vec![0] }),
        &[],
        ContractError::WrongRecoveryIdCount { count: 1, expected: 0 },
    );
}

fn with_ids_result(signatures: &[Binary], ids: &[u8]) -> SignResult {
    SignResult::Success { signatures: signatures.to_vec(), recovery_ids: ids.to_vec() }
}
