//! The approver inbox (`ActionsAwaitingApprover`): it lists an action only while the action
//! awaits that approver's vote, also after an owner removal or an admin policy change executed
//! by another action, and never once the action is executed, rejected or expired.

mod common;

use common::*;
use mpc_interfaces::workspace::{AdminAction, AdminActionStatus, ExecuteMsg};

/// alice, bob and carol own a workspace whose admin policy needs two of them.
fn two_of_three() -> Three {
    three_owners(Some(owners(2)))
}

/// An action of alice's that awaits bob and carol.
fn waiting_action(t: &mut Three) -> u64 {
    let id = t.suite.propose(&t.alice, t.ws, set_alias("x"), None).unwrap();
    assert_eq!(t.suite.awaiting(&t.bob, None, None), vec![id]);
    assert_eq!(t.suite.awaiting(&t.carol, None, None), vec![id]);
    id
}

/// alice proposes `action` and bob approves it: it executes (two of three).
fn execute_with_bob(t: &mut Three, action: AdminAction) {
    let id = t.suite.propose(&t.alice, t.ws, action, None).unwrap();
    t.suite.approve(&t.bob, id).unwrap();
    assert_eq!(t.suite.action(id).status, AdminActionStatus::Executed);
}

#[test]
fn a_removed_owner_no_longer_lists_the_actions_they_were_awaited_on() {
    let mut t = two_of_three();
    let id = waiting_action(&mut t);
    let carol = t.carol.to_string();
    execute_with_bob(&mut t, AdminAction::RemoveOwner { owner: carol });
    assert_eq!(t.suite.action(id).status, AdminActionStatus::Pending);
    assert!(t.suite.action(id).evaluation.awaiting == vec![t.bob.to_string()]);
    assert!(t.suite.awaiting(&t.carol, None, None).is_empty());
    assert_eq!(t.suite.awaiting(&t.bob, None, None), vec![id]);

    // bob's approval executes it: nobody's inbox keeps it.
    t.suite.approve(&t.bob, id).unwrap();
    for approver in [&t.alice, &t.bob, &t.carol] {
        assert!(t.suite.awaiting(approver, None, None).is_empty());
    }
}

#[test]
fn an_admin_policy_change_moves_the_actions_out_of_the_inboxes_it_no_longer_awaits() {
    let mut t = two_of_three();
    let id = waiting_action(&mut t);
    let only_bob = approver(&t.bob);
    execute_with_bob(&mut t, AdminAction::SetAdminPolicy { policy: Some(only_bob) });
    assert!(t.suite.awaiting(&t.carol, None, None).is_empty());
    assert_eq!(t.suite.awaiting(&t.bob, None, None), vec![id]);

    // Rejected by the only approver: out of every inbox.
    t.suite.reject(&t.bob, id).unwrap();
    assert_eq!(t.suite.action(id).status, AdminActionStatus::Rejected);
    for approver in [&t.alice, &t.bob, &t.carol] {
        assert!(t.suite.awaiting(approver, None, None).is_empty());
    }
}

#[test]
fn an_action_that_expired_after_a_policy_change_leaves_every_inbox() {
    let mut t = two_of_three();
    let id = t.suite.propose(&t.alice, t.ws, set_alias("late"), Some(5)).unwrap();
    execute_with_bob(&mut t, AdminAction::SetAdminPolicy { policy: Some(owners(3)) });
    assert_eq!(t.suite.awaiting(&t.carol, None, None), vec![id]);
    t.suite.advance(6);
    for approver in [&t.alice, &t.bob, &t.carol] {
        assert!(t.suite.awaiting(approver, None, None).is_empty());
    }
    let eve = t.suite.addr("eve");
    t.suite.execute(&eve, &ExecuteMsg::ExpireActions { action_ids: vec![id] }).unwrap();
    assert_eq!(t.suite.action(id).status, AdminActionStatus::Expired);
    for approver in [&t.alice, &t.bob, &t.carol] {
        assert!(t.suite.awaiting(approver, None, None).is_empty());
    }
}
