//! Key requests: asking for a key, paying for it, and its refusals.

mod common;

use common::*;
use cosmwasm_std::coin;
use cw_multi_test::Executor;
use mpc_contract_kit::fees::FeeError;
use mpc_contract_kit::lifecycle::TimeoutOutOfRange;
use mpc_interfaces::keyring::{ExecuteMsg, KeyRequestStatus, MAX_KEY_REQUEST_TIMEOUT_BLOCKS};
use mpc_interfaces::workspace::ExecuteMsg as WorkspaceExecuteMsg;
use mpc_interfaces::KeyType;
use mpc_keyring::ContractError;

#[test]
fn request_key_holds_the_fee_and_snapshots_the_keyring() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let owner = suite.owner.clone();
    let height = suite.height();
    let msg = suite.request_key_msg(keyring_id, KeyType::EcdsaSecp256k1);
    let res = suite.execute(&owner, &msg, &[coin(KEY_FEE, DENOM)]).unwrap();

    for (key, value) in [
        ("action", "created"),
        ("request_id", "1"),
        ("keyring_id", "1"),
        ("workspace_id", "1"),
        ("key_type", "ecdsa_secp256k1"),
        ("status", "pending"),
    ] {
        assert_eq!(attribute(&res, "wasm-key_request", key), value, "{key}");
    }
    assert_eq!(suite.balance(&owner, DENOM), START_BALANCE - KEY_FEE);
    assert_eq!(suite.balance(&suite.keyring, DENOM), KEY_FEE);

    let request = suite.request(1);
    assert_eq!(request.status, KeyRequestStatus::Pending);
    assert_eq!(request.requester, owner);
    assert_eq!(request.parties, suite.parties);
    assert_eq!(request.party_threshold, 2);
    assert_eq!(request.fee, vec![coin(KEY_FEE, DENOM)]);
    assert_eq!(request.created_height, height);
    // The suite's contract default timeout is 100 blocks.
    assert_eq!(request.deadline_height, height + 100);
    assert!(request.answers.is_empty());

    // Changing the keyring afterwards does not change who answers the open request.
    let admin = suite.admin.clone();
    let removed = suite.parties[2].to_string();
    suite
        .execute(
            &admin,
            &ExecuteMsg::RemoveParty { keyring_id, party: removed, new_threshold: Some(1) },
            &[],
        )
        .unwrap();
    let request = suite.request(1);
    assert_eq!(request.parties, suite.parties);
    assert_eq!(request.party_threshold, 2);
}

#[test]
fn request_key_with_timeout() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let co_owner = suite.co_owner.clone();
    let height = suite.height();
    suite
        .execute(
            &co_owner,
            &ExecuteMsg::RequestKey {
                workspace_id: 1,
                keyring_id,
                key_type: KeyType::EddsaEd25519,
                timeout_blocks: Some(MAX_KEY_REQUEST_TIMEOUT_BLOCKS),
                max_fee: None,
            },
            &[coin(KEY_FEE, DENOM)],
        )
        .unwrap();
    let request = suite.request(1);
    assert_eq!(request.key_type, KeyType::EddsaEd25519);
    assert_eq!(request.deadline_height, height + MAX_KEY_REQUEST_TIMEOUT_BLOCKS);
}

#[test]
fn request_key_with_several_fee_denoms() {
    let mut suite = Suite::new();
    let owner = suite.owner.clone();
    let fee = vec![coin(3, DENOM), coin(5, OTHER_DENOM)];
    suite.create_keyring_with(1, fee.clone());
    let msg = suite.request_key_msg(1, KeyType::EcdsaSecp256k1);
    suite.assert_refused(
        &owner,
        &msg,
        &[coin(3, DENOM)],
        FeeError::MissingDenom {
            denom: OTHER_DENOM.to_string(),
            expected: format!("3{DENOM},5{OTHER_DENOM}"),
        }
        .into(),
    );
    suite.execute(&owner, &msg, &fee).unwrap();
    assert_eq!(suite.balance(&suite.keyring, DENOM), 3);
    assert_eq!(suite.balance(&suite.keyring, OTHER_DENOM), 5);
}

#[test]
fn request_key_for_a_workspace_that_does_not_exist_is_refused() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let owner = suite.owner.clone();
    let before = suite.snapshot();
    let msg = ExecuteMsg::RequestKey {
        workspace_id: 99,
        keyring_id,
        key_type: KeyType::EcdsaSecp256k1,
        timeout_blocks: None,
        max_fee: None,
    };

    let err = suite.execute(&owner, &msg, &[coin(KEY_FEE, DENOM)]).unwrap_err();

    // The workspace contract's own answer is kept as the reason.
    let refused = root_cause(&err);
    let expected =
        ContractError::WorkspaceQueryFailed { workspace_id: 99, reason: String::new() }.to_string();
    assert!(refused.starts_with(&expected), "{refused}");
    assert!(refused.len() > expected.len(), "no reason given: {refused}");
    assert_eq!(suite.snapshot(), before, "a refused message changed state");
}

#[test]
fn request_key_refusals() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let owner = suite.owner.clone();
    let stranger = suite.stranger.clone();
    let admin = suite.admin.clone();
    let fee = [coin(KEY_FEE, DENOM)];
    let msg = suite.request_key_msg(keyring_id, KeyType::EcdsaSecp256k1);

    // Not an owner of the workspace: refused before the keyring or the fee are looked at.
    suite.assert_refused(
        &stranger,
        &suite.request_key_msg(99, KeyType::EcdsaSecp256k1),
        &[],
        ContractError::NotOwner { sender: stranger.clone(), workspace_id: 1 },
    );
    suite.assert_refused(
        &owner,
        &suite.request_key_msg(99, KeyType::EcdsaSecp256k1),
        &fee,
        ContractError::KeyringNotFound { keyring_id: 99 },
    );

    // Fees.
    let expected = format!("{KEY_FEE}{DENOM}");
    suite.assert_refused(
        &owner,
        &msg,
        &[],
        FeeError::NoFunds { expected: expected.clone() }.into(),
    );
    suite.assert_refused(
        &owner,
        &msg,
        &[coin(KEY_FEE, OTHER_DENOM)],
        FeeError::ExtraDenom { denom: OTHER_DENOM.to_string(), expected: expected.clone() }.into(),
    );
    suite.assert_refused(
        &owner,
        &msg,
        &[coin(KEY_FEE, DENOM), coin(1, OTHER_DENOM)],
        FeeError::ExtraDenom { denom: OTHER_DENOM.to_string(), expected }.into(),
    );
    for sent in [KEY_FEE - 1, KEY_FEE + 1] {
        suite.assert_refused(
            &owner,
            &msg,
            &[coin(sent, DENOM)],
            FeeError::WrongAmount {
                denom: DENOM.to_string(),
                expected: KEY_FEE.into(),
                sent: sent.into(),
            }
            .into(),
        );
    }

    // Timeout bounds.
    for timeout in [0, MAX_KEY_REQUEST_TIMEOUT_BLOCKS + 1] {
        suite.assert_refused(
            &owner,
            &ExecuteMsg::RequestKey {
                workspace_id: 1,
                keyring_id,
                key_type: KeyType::EcdsaSecp256k1,
                timeout_blocks: Some(timeout),
                max_fee: None,
            },
            &fee,
            ContractError::TimeoutOutOfRange(TimeoutOutOfRange {
                name: "timeout_blocks",
                timeout,
                max: MAX_KEY_REQUEST_TIMEOUT_BLOCKS,
            }),
        );
    }

    // Inactive keyring.
    suite.execute(&admin, &ExecuteMsg::DeactivateKeyring { keyring_id }, &[]).unwrap();
    suite.assert_refused(&owner, &msg, &fee, ContractError::KeyringInactive { keyring_id });
}

#[test]
fn request_key_on_free_keyring_refuses_funds() {
    let mut suite = Suite::new();
    let owner = suite.owner.clone();
    suite.create_keyring_with(1, vec![]);
    let msg = suite.request_key_msg(1, KeyType::EcdsaSecp256k1);
    suite.assert_refused(
        &owner,
        &msg,
        &[coin(1, DENOM)],
        FeeError::ExtraDenom { denom: DENOM.to_string(), expected: "no fee".to_string() }.into(),
    );
    suite.execute(&owner, &msg, &[]).unwrap();
    assert_eq!(suite.request(1).fee, vec![]);
}

#[test]
fn request_key_for_unknown_workspace_names_the_workspace() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let owner = suite.owner.clone();
    let before = suite.snapshot();
    let err = suite
        .execute(
            &owner,
            &ExecuteMsg::RequestKey {
                workspace_id: 42,
                keyring_id,
                key_type: KeyType::EcdsaSecp256k1,
                timeout_blocks: None,
                max_fee: None,
            },
            &[coin(KEY_FEE, DENOM)],
        )
        .unwrap_err();
    let message = root_cause(&err);
    assert!(
        message.starts_with("workspace contract refused the query about workspace 42"),
        "{message}"
    );
    assert_eq!(suite.snapshot(), before);
}

#[test]
fn an_owner_added_later_may_request() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let owner = suite.owner.clone();
    let stranger = suite.stranger.clone();
    let workspace = suite.workspace.clone();
    let msg = suite.request_key_msg(keyring_id, KeyType::EcdsaSecp256k1);
    suite.assert_refused(
        &stranger,
        &msg,
        &[coin(KEY_FEE, DENOM)],
        ContractError::NotOwner { sender: stranger.clone(), workspace_id: 1 },
    );
    // The default admin policy is "any one owner": the proposal executes at once.
    suite
        .app
        .execute_contract(
            owner,
            workspace,
            &WorkspaceExecuteMsg::ProposeAction {
                workspace_id: 1,
                action: mpc_interfaces::workspace::AdminAction::AddOwner {
                    owner: stranger.to_string(),
                },
                timeout_blocks: None,
            },
            &[],
        )
        .unwrap();
    suite.execute(&stranger, &msg, &[coin(KEY_FEE, DENOM)]).unwrap();
    assert_eq!(suite.request(1).requester, stranger);
}

/// The owner's key request with `max_fee`, sending the max_fee as funds.
fn request_with_max_fee(
    keyring_id: u64, suite: &Suite, max_fee: Vec<cosmwasm_std::Coin>,
) -> ExecuteMsg {
    ExecuteMsg::RequestKey {
        workspace_id: suite.workspace_id,
        keyring_id,
        key_type: KeyType::EcdsaSecp256k1,
        timeout_blocks: None,
        max_fee: Some(max_fee),
    }
}

#[test]
fn a_max_fee_pays_the_fee_in_force_and_returns_the_rest() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let owner = suite.owner.clone();
    let max_fee = vec![coin(KEY_FEE + 500, DENOM)];
    let msg = request_with_max_fee(keyring_id, &suite, max_fee.clone());
    let res = suite.execute(&owner, &msg, &max_fee).unwrap();
    let created: mpc_interfaces::RequestCreated =
        cosmwasm_std::from_json(res.data.expect("response data")).unwrap();
    assert_eq!(suite.request(created.request_id).status, KeyRequestStatus::Pending);
    assert_eq!(suite.balance(&owner, DENOM), START_BALANCE - KEY_FEE);
    assert_eq!(suite.balance(&suite.keyring, DENOM), KEY_FEE);
}

#[test]
fn a_fee_raised_above_max_fee_refuses_the_request_and_charges_nothing() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let owner = suite.owner.clone();
    // The owner looked the fee up; the keyring's admin raises it before the request lands.
    let looked_up = vec![coin(KEY_FEE, DENOM)];
    suite.update_fees(keyring_id, Some(vec![coin(KEY_FEE + 1, DENOM)]), None);
    let msg = request_with_max_fee(keyring_id, &suite, looked_up.clone());
    suite.assert_refused(
        &owner,
        &msg,
        &looked_up,
        FeeError::AboveMax {
            fee: format!("{}{DENOM}", KEY_FEE + 1),
            max_fee: format!("{KEY_FEE}{DENOM}"),
        }
        .into(),
    );
    // Funds other than the max_fee are refused too, naming the max_fee as what was expected.
    let msg = request_with_max_fee(keyring_id, &suite, vec![coin(KEY_FEE + 5, DENOM)]);
    suite.assert_refused(
        &owner,
        &msg,
        &[coin(KEY_FEE + 1, DENOM)],
        FeeError::WrongAmount {
            denom: DENOM.to_string(),
            expected: (KEY_FEE + 5).into(),
            sent: (KEY_FEE + 1).into(),
        }
        .into(),
    );
    let twice = vec![coin(KEY_FEE, DENOM), coin(KEY_FEE, DENOM)];
    let msg = request_with_max_fee(keyring_id, &suite, twice.clone());
    suite.assert_refused(
        &owner,
        &msg,
        &[coin(2 * KEY_FEE, DENOM)],
        FeeError::DuplicateDenom { denom: DENOM.to_string() }.into(),
    );
}
