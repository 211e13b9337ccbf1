//! ProposeAction, ApproveAction, RejectAction, ExpireActions: the admin-action state machine,
//! re-validation at execution, expiry, the action queries and their events.

mod common;

use common::*;
use cosmwasm_std::Addr;
use mpc_contract_kit::config::ConfigError;
use mpc_contract_kit::contract::TooLong;
use mpc_contract_kit::lifecycle::{LifecycleError, TimeoutOutOfRange};
use mpc_interfaces::workspace::{
    AdminAction, AdminActionStatus, ConfigResponse, ExecuteMsg, QueryMsg,
    MAX_ACTION_TIMEOUT_BLOCKS, MAX_ALIAS_LEN, MAX_EXPIRE_BATCH, MAX_OWNERS,
};
use mpc_interfaces::{Policy, MAX_LIMIT};
use mpc_policy::{PolicyError, MAX_DEPTH};
use mpc_workspace::ContractError;

use AdminActionStatus::{Executed, Expired, Pending, Rejected};

fn propose_msg(workspace_id: u64, action: AdminAction) -> ExecuteMsg {
    ExecuteMsg::ProposeAction { workspace_id, action, timeout_blocks: None }
}

/// The `approver` attributes an event should carry: one per address, in address order.
fn approvers(addrs: &[&Addr]) -> Vec<String> {
    let mut list: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
    list.sort();
    list
}

#[test]
fn lone_owner_action_executes_at_once() {
    let mut suite = Suite::new();
    let [alice, bob] = ["alice", "bob"].map(|n| suite.addr(n));
    let ws = suite.create(&alice, &[], None, None);
    let res = suite
        .execute(&alice, &propose_msg(ws, AdminAction::AddOwner { owner: bob.to_string() }))
        .unwrap();

    let created = with_action(&res, "wasm-admin_action", "created")[0];
    assert_eq!(attr(created, "action_id"), "1");
    assert_eq!(attr(created, "workspace_id"), "1");
    assert_eq!(attr(created, "status"), "executed");
    assert_eq!(attr(created, "sender"), alice.as_str());
    assert!(attrs(created, "approver").is_empty());
    assert_eq!(one_attr(&res, "wasm-admin_action", "executed", "status"), "executed");
    assert_eq!(one_attr(&res, "wasm-workspace", "owner_added", "owner"), bob.as_str());
    assert_eq!(one_attr(&res, "wasm-workspace", "owner_added", "action_id"), "1");

    assert_eq!(suite.workspace(ws).owners, vec![alice.clone(), bob.clone()]);
    assert_eq!(suite.workspaces_by_owner(&bob, None, None), vec![ws]);
    let action = suite.action(1);
    assert_eq!(action.status, Executed);
    assert_eq!(action.proposer, alice);
    assert_eq!(action.approvals, vec![alice.clone()]);
    assert!(action.evaluation.satisfied);
    assert!(action.evaluation.awaiting.is_empty());
    assert_eq!(action.deadline_height, suite.height() + TIMEOUT);

    // Bob, now an owner, removes Alice; the by-owner index follows.
    suite.propose(&bob, ws, AdminAction::RemoveOwner { owner: alice.to_string() }, None).unwrap();
    assert_eq!(suite.workspace(ws).owners, vec![bob.clone()]);
    assert!(suite.workspaces_by_owner(&alice, None, None).is_empty());
}

#[test]
fn every_action_kind_executes() {
    let mut suite = Suite::new();
    let [alice, bob] = ["alice", "bob"].map(|n| suite.addr(n));
    let ws = suite.create(&alice, &[&bob], None, None);
    let policy = Policy::AnyOf { threshold: 1, of: vec![approver(&alice), approver(&bob)] };
    for (action, field) in [
        (AdminAction::SetSignPolicy { policy: Some(owners(2)) }, "sign_policy"),
        (AdminAction::SetAdminPolicy { policy: Some(policy.clone()) }, "admin_policy"),
        (set_alias("vault"), "alias"),
    ] {
        let res = suite.execute(&alice, &propose_msg(ws, action)).unwrap();
        assert_eq!(one_attr(&res, "wasm-workspace", "updated", "field"), field);
    }
    let state = suite.workspace(ws);
    assert_eq!(state.sign_policy, Some(owners(2)));
    assert_eq!(state.admin_policy, Some(policy));
    assert_eq!(state.alias.as_deref(), Some("vault"));

    // `None` restores the defaults.
    for action in [
        AdminAction::SetSignPolicy { policy: None },
        AdminAction::SetAdminPolicy { policy: None },
        AdminAction::SetAlias { alias: None },
    ] {
        suite.execute(&bob, &propose_msg(ws, action)).unwrap();
    }
    let state = suite.workspace(ws);
    assert_eq!((state.sign_policy, state.admin_policy, state.alias), (None, None, None));
}

#[test]
fn approvals_collect_until_the_policy_is_satisfied() {
    let Three { mut suite, alice, bob, carol, ws, .. } = three_owners(Some(owners(2)));
    let res = suite.execute(&alice, &propose_msg(ws, set_alias("vault"))).unwrap();
    let created = with_action(&res, "wasm-admin_action", "created")[0];
    assert_eq!(attr(created, "status"), "pending");
    assert_eq!(attrs(created, "approver"), approvers(&[&bob, &carol]));
    assert!(with_action(&res, "wasm-admin_action", "executed").is_empty());
    assert_eq!(suite.workspace(ws).alias, None);

    let action = suite.action(1);
    assert_eq!(action.status, Pending);
    assert!(!action.evaluation.satisfied);
    assert!(action.evaluation.satisfiable);
    assert_eq!(suite.awaiting(&bob, None, None), vec![1]);
    assert_eq!(suite.awaiting(&carol, None, None), vec![1]);
    assert!(suite.awaiting(&alice, None, None).is_empty());

    let res = suite.approve(&bob, 1).unwrap();
    let approved = with_action(&res, "wasm-admin_action", "approved")[0];
    assert_eq!(attr(approved, "sender"), bob.as_str());
    assert_eq!(attr(approved, "status"), "executed");
    assert_eq!(with_action(&res, "wasm-admin_action", "executed").len(), 1);
    assert_eq!(one_attr(&res, "wasm-workspace", "updated", "field"), "alias");

    assert_eq!(suite.workspace(ws).alias.as_deref(), Some("vault"));
    let action = suite.action(1);
    assert_eq!(action.status, Executed);
    assert_eq!(action.approvals, vec![alice, bob.clone()]);
    assert!(action.evaluation.awaiting.is_empty());
    // The action ended, so it left everyone's queue.
    assert!(suite.awaiting(&bob, None, None).is_empty());
    assert!(suite.awaiting(&carol, None, None).is_empty());
}

#[test]
fn rejections_reject_once_the_policy_is_unsatisfiable() {
    let Three { mut suite, alice, bob, carol, ws, .. } = three_owners(Some(owners(2)));
    suite.propose(&alice, ws, set_alias("vault"), None).unwrap();

    // One rejection: Alice and Carol could still make two.
    let res = suite.reject(&bob, 1).unwrap();
    let rejected = with_action(&res, "wasm-admin_action", "rejected")[0];
    assert_eq!(attr(rejected, "status"), "pending");
    assert_eq!(attr(rejected, "sender"), bob.as_str());
    assert_eq!(suite.action(1).rejections, vec![bob.clone()]);
    assert!(suite.awaiting(&bob, None, None).is_empty());
    assert_eq!(suite.awaiting(&carol, None, None), vec![1]);

    // The second rejection leaves only Alice's approval possible.
    let res = suite.reject(&carol, 1).unwrap();
    assert_eq!(one_attr(&res, "wasm-admin_action", "rejected", "status"), "rejected");
    let action = suite.action(1);
    assert_eq!(action.status, Rejected);
    assert!(!action.evaluation.satisfiable);
    assert_eq!(suite.workspace(ws).alias, None);
    assert!(suite.awaiting(&carol, None, None).is_empty());

    // A rejected vote among approvals: approve after one rejection still executes.
    let id = suite.propose(&alice, ws, set_alias("vault"), None).unwrap();
    suite.reject(&bob, id).unwrap();
    suite.approve(&carol, id).unwrap();
    assert_eq!(suite.action(id).status, Executed);
    assert_eq!(suite.workspace(ws).alias.as_deref(), Some("vault"));
}

#[test]
fn propose_refusals_change_nothing() {
    let Three { mut suite, alice, bob, carol, eve, ws } =
        three_owners_with(|alice, _| Some(approver(alice)));

    suite.assert_refused(
        &eve,
        &propose_msg(ws, set_alias("x")),
        ContractError::NotOwner { sender: eve.clone(), workspace_id: ws },
    );
    suite.assert_refused(
        &bob,
        &propose_msg(ws, set_alias("x")),
        ContractError::NotEligibleProposer { sender: bob.clone(), workspace_id: ws },
    );
    suite.assert_refused(
        &alice,
        &propose_msg(9, set_alias("x")),
        ContractError::WorkspaceNotFound { workspace_id: 9 },
    );
    suite.assert_refused(
        &alice,
        &ExecuteMsg::ProposeAction {
            workspace_id: ws,
            action: set_alias("x"),
            timeout_blocks: Some(0),
        },
        ContractError::TimeoutOutOfRange(TimeoutOutOfRange {
            name: "timeout_blocks",
            timeout: 0,
            max: MAX_ACTION_TIMEOUT_BLOCKS,
        }),
    );
    suite.assert_refused(
        &alice,
        &ExecuteMsg::ProposeAction {
            workspace_id: ws,
            action: set_alias("x"),
            timeout_blocks: Some(u64::MAX),
        },
        ContractError::TimeoutOutOfRange(TimeoutOutOfRange {
            name: "timeout_blocks",
            timeout: u64::MAX,
            max: MAX_ACTION_TIMEOUT_BLOCKS,
        }),
    );
    suite.assert_refused(
        &alice,
        &propose_msg(ws, AdminAction::AddOwner { owner: carol.to_string() }),
        ContractError::AlreadyAnOwner { owner: carol.to_string(), workspace_id: ws },
    );
    suite.assert_refused_with(
        &alice,
        &propose_msg(ws, AdminAction::AddOwner { owner: "nobody".into() }),
        "nobody",
    );
    suite.assert_refused(
        &alice,
        &propose_msg(ws, AdminAction::RemoveOwner { owner: eve.to_string() }),
        ContractError::NotOwner { sender: eve.clone(), workspace_id: ws },
    );
    suite.assert_refused(
        &alice,
        &propose_msg(ws, AdminAction::RemoveOwner { owner: alice.to_string() }),
        ContractError::OwnerNamedInPolicy { owner: alice.to_string(), policy: "admin".into() },
    );
    suite.assert_refused(
        &alice,
        &propose_msg(ws, AdminAction::SetSignPolicy { policy: Some(approver(&eve)) }),
        ContractError::Policy(PolicyError::NotAnOwner { address: eve.to_string() }),
    );
    suite.assert_refused(
        &alice,
        &propose_msg(ws, AdminAction::SetAdminPolicy { policy: Some(owners(4)) }),
        ContractError::Policy(PolicyError::ThresholdOutOfRange { threshold: 4, max: 3 }),
    );
    let too_deep = (0..MAX_DEPTH).fold(Policy::any_owner(), |inner, _| Policy::AllOf(vec![inner]));
    suite.assert_refused(
        &alice,
        &propose_msg(ws, AdminAction::SetSignPolicy { policy: Some(too_deep) }),
        ContractError::Policy(PolicyError::TooDeep { depth: MAX_DEPTH + 1, max: MAX_DEPTH }),
    );
    suite.assert_refused(
        &alice,
        &propose_msg(ws, set_alias(&"a".repeat(MAX_ALIAS_LEN + 1))),
        ContractError::TooLong(TooLong {
            field: "alias",
            len: MAX_ALIAS_LEN + 1,
            max: MAX_ALIAS_LEN,
        }),
    );
    suite.assert_refused(
        &alice,
        &propose_msg(ws, AdminAction::SetAlias { alias: Some("".into()) }),
        ContractError::EmptyAlias,
    );
    assert!(suite.actions(ws, None, None, None).is_empty());
}

#[test]
fn owner_removal_guards() {
    let mut suite = Suite::new();
    let [alice, bob, carol] = ["alice", "bob", "carol"].map(|n| suite.addr(n));
    let lone = suite.create(&alice, &[], None, None);
    suite.assert_refused(
        &alice,
        &propose_msg(lone, AdminAction::RemoveOwner { owner: alice.to_string() }),
        ContractError::LastOwner { workspace_id: lone },
    );

    let named = suite.create(&alice, &[&bob], None, Some(approver(&bob)));
    suite.assert_refused(
        &alice,
        &propose_msg(named, AdminAction::RemoveOwner { owner: bob.to_string() }),
        ContractError::OwnerNamedInPolicy { owner: bob.to_string(), policy: "sign".into() },
    );

    // Three owners and a 3-of-owners sign policy: any removal would make it unreachable.
    let strict = suite.create(&alice, &[&bob, &carol], None, Some(owners(3)));
    suite.assert_refused(
        &alice,
        &propose_msg(strict, AdminAction::RemoveOwner { owner: carol.to_string() }),
        ContractError::RemovalBreaksPolicy {
            owner: carol.to_string(),
            policy: "sign".into(),
            source: PolicyError::ThresholdOutOfRange { threshold: 3, max: 2 },
        },
    );

    // Full workspace: AddOwner is refused at the bound.
    let others: Vec<Addr> = (1..MAX_OWNERS).map(|i| suite.addr(&format!("o{i}"))).collect();
    let refs: Vec<&Addr> = others.iter().collect();
    let full = suite.create(&alice, &refs, None, None);
    suite.assert_refused(
        &alice,
        &propose_msg(full, AdminAction::AddOwner { owner: carol.to_string() }),
        ContractError::TooManyOwners { max: MAX_OWNERS },
    );
}

#[test]
fn vote_refusals_change_nothing() {
    let Three { mut suite, alice, bob, carol, eve, ws } = three_owners_with(|alice, bob| {
        Some(Policy::AnyOf { threshold: 2, of: vec![approver(alice), approver(bob)] })
    });
    let id = suite.propose(&alice, ws, set_alias("x"), None).unwrap();
    assert_eq!(suite.action(id).status, Pending);

    for msg in
        [ExecuteMsg::ApproveAction { action_id: id }, ExecuteMsg::RejectAction { action_id: id }]
    {
        // Eve is no owner; Carol owns the workspace but the policy does not count her.
        for outsider in [&eve, &carol] {
            suite.assert_refused(
                outsider,
                &msg,
                ContractError::Lifecycle(LifecycleError::NotApprover {
                    id,
                    sender: outsider.clone(),
                }),
            );
        }
        // The proposer's approval already counts.
        suite.assert_refused(
            &alice,
            &msg,
            ContractError::Lifecycle(LifecycleError::AlreadyVoted { id, sender: alice.clone() }),
        );
    }
    suite.assert_refused(
        &bob,
        &ExecuteMsg::ApproveAction { action_id: 42 },
        ContractError::ActionNotFound { action_id: 42 },
    );

    // Once executed, the action is final.
    suite.approve(&bob, id).unwrap();
    for msg in
        [ExecuteMsg::ApproveAction { action_id: id }, ExecuteMsg::RejectAction { action_id: id }]
    {
        suite.assert_refused(
            &bob,
            &msg,
            ContractError::Lifecycle(LifecycleError::Closed { id, status: Executed }),
        );
    }

    // Voting twice on an open action, by rejecting then approving.
    let three = three_owners(Some(owners(3)));
    let Three { mut suite, alice, bob, ws, .. } = three;
    let id = suite.propose(&alice, ws, set_alias("x"), None).unwrap();
    suite.approve(&bob, id).unwrap();
    suite.assert_refused(
        &bob,
        &ExecuteMsg::RejectAction { action_id: id },
        ContractError::Lifecycle(LifecycleError::AlreadyVoted { id, sender: bob.clone() }),
    );
}

#[test]
fn execution_revalidates_against_the_current_workspace() {
    let Three { mut suite, alice, bob, carol, ws, .. } = three_owners(Some(owners(2)));
    let dave = suite.addr("dave");
    let add_dave = AdminAction::AddOwner { owner: dave.to_string() };
    let first = suite.propose(&alice, ws, add_dave.clone(), None).unwrap();
    let second = suite.propose(&alice, ws, add_dave, None).unwrap();
    suite.approve(&bob, first).unwrap();
    assert!(suite.workspace(ws).owners.contains(&dave));

    // The same change is no longer valid: the approval fails and nothing changes.
    suite.assert_refused(
        &bob,
        &ExecuteMsg::ApproveAction { action_id: second },
        ContractError::AlreadyAnOwner { owner: dave.to_string(), workspace_id: ws },
    );
    assert_eq!(suite.action(second).status, Pending);
    assert_eq!(suite.action(second).approvals, vec![alice.clone()]);

    // A removal proposed before a sign policy named the owner is refused when it executes.
    let remove_carol = suite
        .propose(&alice, ws, AdminAction::RemoveOwner { owner: carol.to_string() }, None)
        .unwrap();
    let name_carol = suite
        .propose(&alice, ws, AdminAction::SetSignPolicy { policy: Some(approver(&carol)) }, None)
        .unwrap();
    suite.approve(&bob, name_carol).unwrap();
    suite.assert_refused(
        &bob,
        &ExecuteMsg::ApproveAction { action_id: remove_carol },
        ContractError::OwnerNamedInPolicy { owner: carol.to_string(), policy: "sign".into() },
    );
}

/// Live rule (issue 10, point 9): open actions follow the admin policy in force, not the one of
/// their proposal.
#[test]
fn votes_follow_the_admin_policy_in_force() {
    let Three { mut suite, alice, bob, carol, ws, .. } = three_owners(Some(owners(2)));
    let old = suite.propose(&alice, ws, set_alias("old rules"), None).unwrap();
    // The admin policy becomes "Alice alone".
    let change = suite
        .propose(&alice, ws, AdminAction::SetAdminPolicy { policy: Some(approver(&alice)) }, None)
        .unwrap();
    suite.approve(&bob, change).unwrap();
    assert_eq!(suite.workspace(ws).admin_policy, Some(approver(&alice)));

    // Carol was eligible when `old` was proposed; under the policy in force she is not.
    suite.assert_refused(
        &carol,
        &ExecuteMsg::ApproveAction { action_id: old },
        ContractError::Lifecycle(LifecycleError::NotApprover { id: old, sender: carol.clone() }),
    );
    // Alice's approval (given at proposal) meets the policy in force, as the query shows; an
    // action executes at a vote, and nobody eligible is left to cast one: it will expire.
    assert!(suite.action(old).evaluation.satisfied);
    assert!(suite.action(old).evaluation.awaiting.is_empty());
    assert_eq!(suite.action(old).status, Pending);
    // New proposals follow the new policy: Carol may not propose, Alice executes alone.
    suite.assert_refused(
        &carol,
        &propose_msg(ws, set_alias("y")),
        ContractError::NotEligibleProposer { sender: carol.clone(), workspace_id: ws },
    );
    let id = suite.propose(&alice, ws, set_alias("y"), None).unwrap();
    assert_eq!(suite.action(id).status, Executed);
}

#[test]
fn overdue_actions_read_as_expired_everywhere() {
    let Three { mut suite, alice, bob, carol, eve, ws } = three_owners(Some(owners(2)));
    let id = suite.propose(&alice, ws, set_alias("late"), Some(5)).unwrap();
    let deadline = suite.action(id).deadline_height;
    assert_eq!(deadline, suite.height() + 5);

    // Open through the deadline height.
    suite.advance(5);
    assert_eq!(suite.action(id).status, Pending);
    assert_eq!(suite.awaiting(&carol, None, None), vec![id]);
    suite.reject(&carol, id).unwrap();

    suite.advance(1);
    assert_eq!(suite.height(), deadline + 1);
    let action = suite.action(id);
    assert_eq!(action.status, Expired);
    assert!(action.evaluation.awaiting.is_empty());
    assert_eq!(suite.actions(ws, Some(Expired), None, None), vec![id]);
    assert!(suite.actions(ws, Some(Pending), None, None).is_empty());
    assert!(suite.awaiting(&bob, None, None).is_empty());
    for msg in
        [ExecuteMsg::ApproveAction { action_id: id }, ExecuteMsg::RejectAction { action_id: id }]
    {
        suite.assert_refused(&bob, &msg, ContractError::Lifecycle(LifecycleError::Expired { id }));
    }

    // Anyone may settle it.
    let res = suite.execute(&eve, &ExecuteMsg::ExpireActions { action_ids: vec![id] }).unwrap();
    let expired = with_action(&res, "wasm-admin_action", "expired")[0];
    assert_eq!(attr(expired, "action_id"), id.to_string());
    assert_eq!(attr(expired, "workspace_id"), ws.to_string());
    assert_eq!(attr(expired, "status"), "expired");
    assert_eq!(suite.action(id).status, Expired);
    assert_eq!(suite.actions(ws, Some(Expired), None, None), vec![id]);
    suite.assert_refused(
        &bob,
        &ExecuteMsg::ApproveAction { action_id: id },
        ContractError::Lifecycle(LifecycleError::Closed { id, status: Expired }),
    );
    assert_eq!(suite.workspace(ws).alias, None);
}

#[test]
fn expire_refusals_fail_the_whole_batch() {
    let Three { mut suite, alice, bob, eve, ws, .. } = three_owners(Some(owners(2)));
    let overdue = suite.propose(&alice, ws, set_alias("a"), Some(1)).unwrap();
    let fresh = suite.propose(&alice, ws, set_alias("b"), Some(50)).unwrap();
    let done = suite.propose(&alice, ws, set_alias("c"), Some(50)).unwrap();
    suite.approve(&bob, done).unwrap();
    suite.advance(2);
    let expire = |ids: Vec<u64>| ExecuteMsg::ExpireActions { action_ids: ids };

    suite.assert_refused(
        &eve,
        &expire(vec![overdue, fresh]),
        ContractError::Lifecycle(LifecycleError::NotOverdue { id: fresh }),
    );
    suite.assert_refused(
        &eve,
        &expire(vec![overdue, done]),
        ContractError::Lifecycle(LifecycleError::Closed { id: done, status: Executed }),
    );
    suite.assert_refused(
        &eve,
        &expire(vec![overdue, 77]),
        ContractError::ActionNotFound { action_id: 77 },
    );
    suite.assert_refused(
        &eve,
        &expire(vec![overdue, overdue]),
        ContractError::Lifecycle(LifecycleError::Closed { id: overdue, status: Expired }),
    );
    suite.assert_refused(
        &eve,
        &expire(vec![]),
        ContractError::Lifecycle(LifecycleError::EmptyExpireBatch),
    );
    suite.assert_refused(
        &eve,
        &expire(vec![overdue; MAX_EXPIRE_BATCH + 1]),
        ContractError::Lifecycle(LifecycleError::TooManyExpireIds {
            count: MAX_EXPIRE_BATCH + 1,
            max: MAX_EXPIRE_BATCH,
        }),
    );
    // None of the refused batches settled `overdue`: alone, it still settles now.
    let res = suite.execute(&eve, &expire(vec![overdue])).unwrap();
    assert_eq!(with_action(&res, "wasm-admin_action", "expired").len(), 1);
}

#[test]
fn expire_settles_a_full_batch() {
    let mut suite = Suite::new();
    let [alice, bob, eve] = ["alice", "bob", "eve"].map(|n| suite.addr(n));
    let ws = suite.create(&alice, &[&bob], Some(owners(2)), None);
    let ids: Vec<u64> = (0..MAX_EXPIRE_BATCH)
        .map(|i| suite.propose(&alice, ws, set_alias(&format!("a{i}")), Some(1)).unwrap())
        .collect();
    assert_eq!(suite.awaiting(&bob, None, Some(MAX_LIMIT)).len(), MAX_EXPIRE_BATCH);
    suite.advance(2);
    let res = suite.execute(&eve, &ExecuteMsg::ExpireActions { action_ids: ids.clone() }).unwrap();
    assert_eq!(with_action(&res, "wasm-admin_action", "expired").len(), MAX_EXPIRE_BATCH);
    assert_eq!(suite.actions(ws, Some(Expired), None, Some(MAX_LIMIT)), ids);
    assert!(suite.awaiting(&bob, None, None).is_empty());
}

#[test]
fn action_lists_page_by_status_and_deadline() {
    let Three { mut suite, alice, bob, carol, ws, .. } = three_owners(Some(owners(2)));
    // Deadlines (blocks from now): 1: 30, 2: 10, 3: 20, 4: 40, 5: 50, 6: 60.
    for timeout in [30, 10, 20, 40, 50, 60] {
        suite.propose(&alice, ws, set_alias("x"), Some(timeout)).unwrap();
    }
    suite.approve(&bob, 4).unwrap(); // executed
    suite.reject(&bob, 5).unwrap();
    suite.reject(&carol, 5).unwrap(); // rejected
    suite.reject(&bob, 6).unwrap(); // still pending
    suite.advance(15); // 2 is now overdue

    assert_eq!(suite.actions(ws, None, None, None), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(suite.actions(ws, None, Some(2), Some(2)), vec![3, 4]);
    assert_eq!(suite.actions(ws, None, None, Some(0)), vec![1]);
    // Status filters come in deadline order.
    assert_eq!(suite.actions(ws, Some(Pending), None, None), vec![3, 1, 6]);
    assert_eq!(suite.actions(ws, Some(Pending), Some(3), None), vec![1, 6]);
    assert_eq!(suite.actions(ws, Some(Pending), Some(1), Some(1)), vec![6]);
    // A cursor at an overdue action still resumes after it.
    assert_eq!(suite.actions(ws, Some(Pending), Some(2), None), vec![3, 1, 6]);
    assert_eq!(suite.actions(ws, Some(Expired), None, None), vec![2]);
    assert_eq!(suite.actions(ws, Some(Executed), None, None), vec![4]);
    assert_eq!(suite.actions(ws, Some(Rejected), None, None), vec![5]);

    // Settled and lazily expired actions merge into one deadline-ordered list.
    suite.execute(&bob, &ExecuteMsg::ExpireActions { action_ids: vec![2] }).unwrap();
    suite.advance(20); // 3 (deadline 20) and 1 (30) are now overdue
    assert_eq!(suite.actions(ws, Some(Expired), None, None), vec![2, 3, 1]);
    assert_eq!(suite.actions(ws, Some(Expired), Some(2), Some(1)), vec![3]);
    assert_eq!(suite.actions(ws, Some(Expired), Some(3), None), vec![1]);
    assert_eq!(suite.actions(ws, Some(Pending), None, None), vec![6]);

    // "Needs your approval": Carol has not voted on 6; Bob has.
    assert_eq!(suite.awaiting(&carol, None, None), vec![6]);
    assert!(suite.awaiting(&bob, None, None).is_empty());

    let err = suite
        .query::<mpc_interfaces::workspace::AdminActionsResponse>(&QueryMsg::ActionsByWorkspace {
            workspace_id: 99,
            status: None,
            start_after: None,
            limit: None,
        })
        .unwrap_err();
    assert_contract_error(&err, &ContractError::WorkspaceNotFound { workspace_id: 99 });
}

#[test]
fn awaiting_queue_pages_and_skips_overdue_actions() {
    let Three { mut suite, alice, carol, ws, .. } = three_owners(Some(owners(2)));
    // Deadlines: 1: 5, 2: 40, 3: 30, 4: 5, 5: 50.
    for timeout in [5, 40, 30, 5, 50] {
        suite.propose(&alice, ws, set_alias("x"), Some(timeout)).unwrap();
    }
    assert_eq!(suite.awaiting(&carol, None, None), vec![1, 4, 3, 2, 5]);
    suite.advance(5);
    // Open through their deadline height, overdue after it.
    assert_eq!(suite.awaiting(&carol, None, None), vec![1, 4, 3, 2, 5]);
    suite.advance(1);
    assert_eq!(suite.awaiting(&carol, None, None), vec![3, 2, 5]);
    assert_eq!(suite.awaiting(&carol, None, Some(2)), vec![3, 2]);
    let after = |id| Some(mpc_interfaces::InboxCursor { workspace_id: ws, after: Some(id) });
    assert_eq!(suite.awaiting(&carol, after(2), Some(2)), vec![5]);
    assert_eq!(suite.awaiting(&carol, after(1), None), vec![3, 2, 5]);
    assert!(suite.awaiting(&carol, after(5), None).is_empty());
    suite.approve(&carol, 3).unwrap();
    assert_eq!(suite.awaiting(&carol, None, None), vec![2, 5]);
}

#[test]
fn instantiate_validates_the_timeout() {
    let suite = Suite::with_timeout(None).unwrap();
    let config: ConfigResponse = suite.query(&QueryMsg::Config {}).unwrap();
    assert_eq!(config.action_timeout_blocks, 10_000);
    let suite = Suite::new();
    let config: ConfigResponse = suite.query(&QueryMsg::Config {}).unwrap();
    assert_eq!(config.action_timeout_blocks, TIMEOUT);
    for timeout in [0, MAX_ACTION_TIMEOUT_BLOCKS + 1] {
        let err = Suite::with_timeout(Some(timeout)).err().unwrap();
        assert_contract_error(
            &err,
            &ContractError::TimeoutOutOfRange(TimeoutOutOfRange {
                name: "action_timeout_blocks",
                timeout,
                max: MAX_ACTION_TIMEOUT_BLOCKS,
            }),
        );
    }
}

/// The contract's admin on the chain changes the default action timeout; an owner may not.
#[test]
fn the_contract_admin_updates_the_default_timeout() {
    let Three { mut suite, alice, ws, .. } = three_owners(Some(owners(2)));
    let admin = suite.admin.clone();
    let update = |blocks| ExecuteMsg::UpdateConfig { action_timeout_blocks: Some(blocks) };
    suite.assert_refused(
        &alice,
        &update(7),
        ContractError::Config(ConfigError::NotContractAdmin { sender: alice.clone() }),
    );
    suite.assert_refused(
        &admin,
        &update(MAX_ACTION_TIMEOUT_BLOCKS + 1),
        ContractError::TimeoutOutOfRange(TimeoutOutOfRange {
            name: "action_timeout_blocks",
            timeout: MAX_ACTION_TIMEOUT_BLOCKS + 1,
            max: MAX_ACTION_TIMEOUT_BLOCKS,
        }),
    );
    let res = suite.execute(&admin, &update(7)).unwrap();
    let updated = with_action(&res, "wasm-config", "updated")[0];
    assert_eq!(attr(updated, "action_timeout_blocks"), "7");
    let config: ConfigResponse = suite.query(&QueryMsg::Config {}).unwrap();
    assert_eq!(config.action_timeout_blocks, 7);
    let id = suite.propose(&alice, ws, set_alias("x"), None).unwrap();
    assert_eq!(suite.action(id).deadline_height, suite.height() + 7);
}
