//! Issue 10 ("contract security"): each attack that went through, now refused, and the key
//! policies that replaced the one-owner key policy at key request.

mod common;

use common::*;
use cosmwasm_std::coin;
use cw_multi_test::Executor;
use cw_utils::PaymentError;
use mpc_contract_kit::lifecycle::{LifecycleError, TimeoutOutOfRange};
use mpc_interfaces::workspace::{
    AdminAction, AdminActionStatus, ExecuteMsg, KeyPoliciesResponse, KeyPolicy, QueryMsg,
    SignPolicyResponse, MAX_ACTION_TIMEOUT_BLOCKS, MAX_KEY_POLICIES,
};
use mpc_interfaces::Policy;
use mpc_policy::PolicyError;
use mpc_workspace::ContractError;

use AdminActionStatus::{Executed, Pending, Rejected};

fn set_key_policy(key_id: u64, policy: Option<Policy>) -> AdminAction {
    AdminAction::SetKeyPolicy { key_id, policy }
}

fn propose_msg(workspace_id: u64, action: AdminAction) -> ExecuteMsg {
    ExecuteMsg::ProposeAction { workspace_id, action, timeout_blocks: None }
}

fn sign_policy(suite: &Suite, workspace_id: u64, key_id: Option<u64>) -> SignPolicyResponse {
    suite.query(&QueryMsg::SignPolicy { workspace_id, key_id }).unwrap()
}

/// Attack 1: a key's own policy is set only through the admin policy. Under "all three owners",
/// Alice alone cannot give a key a weaker policy: her proposal waits for Bob and Carol.
#[test]
fn one_owner_cannot_set_a_weaker_key_policy_alone() {
    let Three { mut suite, alice, bob, carol, ws, .. } = three_owners(Some(owners(3)));
    let id = suite.propose(&alice, ws, set_key_policy(7, Some(approver(&alice))), None).unwrap();
    assert_eq!(suite.action(id).status, Pending);
    let in_force = sign_policy(&suite, ws, Some(7));
    assert!(!in_force.key_policy);
    assert_eq!(in_force.policy, Policy::any_owner());

    suite.approve(&bob, id).unwrap();
    assert_eq!(suite.action(id).status, Pending);
    suite.approve(&carol, id).unwrap();
    assert_eq!(suite.action(id).status, Executed);
    let in_force = sign_policy(&suite, ws, Some(7));
    assert!(in_force.key_policy);
    assert_eq!(in_force.policy, approver(&alice));
    // Other keys, and the workspace itself, keep the workspace's sign policy.
    assert!(!sign_policy(&suite, ws, Some(8)).key_policy);
    assert!(!sign_policy(&suite, ws, None).key_policy);
    let listed: KeyPoliciesResponse = suite
        .query(&QueryMsg::KeyPolicies { workspace_id: ws, start_after: None, limit: None })
        .unwrap();
    assert_eq!(listed.key_policies, vec![KeyPolicy { key_id: 7, policy: approver(&alice) }]);
}

/// Key policies are changed and removed the same way, bounded, and checked like the others.
#[test]
fn key_policies_change_through_admin_actions_and_are_bounded() {
    let Three { mut suite, alice, bob, carol, ws, .. } = three_owners(None);
    suite.propose(&alice, ws, set_key_policy(1, Some(owners(2))), None).unwrap();
    assert_eq!(sign_policy(&suite, ws, Some(1)).policy, owners(2));
    suite.propose(&bob, ws, set_key_policy(1, Some(approver(&carol))), None).unwrap();
    assert_eq!(sign_policy(&suite, ws, Some(1)).policy, approver(&carol));
    suite.propose(&bob, ws, set_key_policy(1, None), None).unwrap();
    assert!(!sign_policy(&suite, ws, Some(1)).key_policy);

    suite.assert_refused(
        &alice,
        &propose_msg(ws, set_key_policy(1, None)),
        ContractError::NoKeyPolicy { workspace_id: ws, key_id: 1 },
    );
    let stranger = suite.addr("eve");
    suite.assert_refused(
        &alice,
        &propose_msg(ws, set_key_policy(1, Some(approver(&stranger)))),
        ContractError::Policy(PolicyError::NotAnOwner { address: stranger.to_string() }),
    );
    for key_id in 0..MAX_KEY_POLICIES as u64 {
        suite.propose(&alice, ws, set_key_policy(key_id, Some(owners(1))), None).unwrap();
    }
    suite.assert_refused(
        &alice,
        &propose_msg(ws, set_key_policy(1000, Some(owners(1)))),
        ContractError::TooManyKeyPolicies { workspace_id: ws, max: MAX_KEY_POLICIES },
    );
    // Replacing an existing one is not a new one.
    suite.propose(&alice, ws, set_key_policy(3, Some(owners(2))), None).unwrap();
}

/// Attack 2: owner removal checks every policy that names the owner, key policies included.
#[test]
fn owner_named_by_a_key_policy_cannot_be_removed() {
    let Three { mut suite, alice, carol, ws, .. } = three_owners(None);
    suite.propose(&alice, ws, set_key_policy(5, Some(approver(&carol))), None).unwrap();
    let remove_carol = AdminAction::RemoveOwner { owner: carol.to_string() };
    suite.assert_refused(
        &alice,
        &propose_msg(ws, remove_carol.clone()),
        ContractError::OwnerNamedInPolicy {
            owner: carol.to_string(),
            policy: "key 5 sign".to_string(),
        },
    );
    // A key policy the remaining owners could no longer meet also keeps the owner.
    suite.propose(&alice, ws, set_key_policy(5, Some(owners(3))), None).unwrap();
    suite.assert_refused(
        &alice,
        &propose_msg(ws, remove_carol.clone()),
        ContractError::RemovalBreaksPolicy {
            owner: carol.to_string(),
            policy: "key 5 sign".to_string(),
            source: PolicyError::ThresholdOutOfRange { threshold: 3, max: 2 },
        },
    );
    suite.propose(&alice, ws, set_key_policy(5, None), None).unwrap();
    let id = suite.propose(&alice, ws, remove_carol, None).unwrap();
    assert_eq!(suite.action(id).status, Executed);
}

/// Attack 9 (admin actions): a removed owner cannot vote, and the approval they gave before
/// their removal stops counting.
#[test]
fn removed_owner_cannot_vote_and_their_approval_stops_counting() {
    let Three { mut suite, alice, bob, carol, ws, .. } = three_owners(Some(owners(2)));
    // Carol proposes (her approval counts), then is removed by Alice and Bob.
    let open = suite.propose(&carol, ws, set_alias("carol's"), None).unwrap();
    let other = suite.propose(&alice, ws, set_alias("alice's"), None).unwrap();
    let removal = suite
        .propose(&alice, ws, AdminAction::RemoveOwner { owner: carol.to_string() }, None)
        .unwrap();
    suite.approve(&bob, removal).unwrap();
    assert_eq!(suite.action(removal).status, Executed);

    suite.assert_refused(
        &carol,
        &ExecuteMsg::ApproveAction { action_id: other },
        ContractError::Lifecycle(LifecycleError::NotApprover { id: other, sender: carol.clone() }),
    );
    // Bob's approval and Carol's old one made two; only Bob's counts now, and Carol's own
    // proposal can no longer execute (issue 23): the next vote rejects it.
    suite.approve(&bob, open).unwrap();
    assert_eq!(suite.action(open).status, Rejected);
    assert_eq!(suite.workspace(ws).alias, None);
    // Her "needs your approval" list no longer holds `other` either, though nobody voted on it
    // since the removal: she cannot vote on it.
    assert!(suite.awaiting(&carol, None, None).is_empty());
    assert_eq!(suite.awaiting(&bob, None, None), vec![other]);
    suite.approve(&bob, other).unwrap();
    assert!(suite.awaiting(&carol, None, None).is_empty());
}

/// Attack 9 (admin actions): an action proposed under 2-of-3 does not execute with two
/// approvals once the admin policy is 3-of-3.
#[test]
fn tightened_admin_policy_governs_actions_already_open() {
    let Three { mut suite, alice, bob, carol, ws, .. } = three_owners(Some(owners(2)));
    let open = suite.propose(&alice, ws, set_alias("x"), None).unwrap();
    let tighten = suite
        .propose(&alice, ws, AdminAction::SetAdminPolicy { policy: Some(owners(3)) }, None)
        .unwrap();
    suite.approve(&bob, tighten).unwrap();
    assert_eq!(suite.workspace(ws).admin_policy, Some(owners(3)));

    suite.approve(&bob, open).unwrap();
    assert_eq!(suite.action(open).status, Pending);
    assert_eq!(suite.workspace(ws).alias, None);
    suite.approve(&carol, open).unwrap();
    assert_eq!(suite.action(open).status, Executed);
}

/// Attack 8: an admin action open until height 2^64 - 2 was accepted.
#[test]
fn admin_action_timeout_is_bounded() {
    let Three { mut suite, alice, ws, .. } = three_owners(Some(owners(2)));
    let far = u64::MAX - 1 - suite.height();
    for timeout in [far, MAX_ACTION_TIMEOUT_BLOCKS + 1] {
        suite.assert_refused(
            &alice,
            &ExecuteMsg::ProposeAction {
                workspace_id: ws,
                action: set_alias("x"),
                timeout_blocks: Some(timeout),
            },
            ContractError::TimeoutOutOfRange(TimeoutOutOfRange {
                name: "timeout_blocks",
                timeout,
                max: MAX_ACTION_TIMEOUT_BLOCKS,
            }),
        );
    }
    let id = suite.propose(&alice, ws, set_alias("x"), Some(MAX_ACTION_TIMEOUT_BLOCKS)).unwrap();
    assert_eq!(suite.action(id).deadline_height, suite.height() + MAX_ACTION_TIMEOUT_BLOCKS);
}

/// Attack 7: funds sent with a workspace message (none takes a fee) stayed in the contract.
#[test]
fn workspace_messages_refuse_funds() {
    let Three { mut suite, alice, bob, ws, .. } = three_owners(Some(owners(2)));
    let funded = alice.clone();
    suite.app.init_modules(|router, _, storage| {
        router.bank.init_balance(storage, &funded, vec![coin(1_000, "uatom")]).unwrap()
    });
    let open = suite.propose(&bob, ws, set_alias("x"), None).unwrap();
    let child = suite.create(&alice, &[], None, None);
    let messages = [
        create_msg(&[], None, None, None),
        ExecuteMsg::CreateChildWorkspace { parent_id: ws, alias: None },
        ExecuteMsg::AppendChildWorkspace { parent_id: ws, child_id: child },
        propose_msg(ws, set_alias("y")),
        ExecuteMsg::ApproveAction { action_id: open },
        ExecuteMsg::RejectAction { action_id: open },
        ExecuteMsg::ExpireActions { action_ids: vec![open] },
    ];
    for msg in messages {
        let before = suite.snapshot();
        let contract = suite.contract.clone();
        let err = suite
            .app
            .execute_contract(alice.clone(), contract, &msg, &[coin(5, "uatom")])
            .unwrap_err();
        assert_contract_error(&err, &ContractError::Payment(PaymentError::NonPayable {}));
        assert_eq!(before, suite.snapshot(), "{msg:?} changed state");
        let balance = suite.app.wrap().query_balance(&alice, "uatom").unwrap();
        assert_eq!(balance.amount.to_string(), "1000");
    }
}
