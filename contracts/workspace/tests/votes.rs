//! Issue 23 ("votes that mean what they say"): each attack on admin actions, now refused, with
//! storage and balances unchanged where a message is refused, and the workspace unchanged where
//! a vote no longer takes effect.

mod common;

use common::*;
use cosmwasm_std::coin;
use cw_utils::PaymentError;
use mpc_contract_kit::lifecycle::LifecycleError;
use mpc_interfaces::workspace::{AdminAction, AdminActionStatus, ExecuteMsg};
use mpc_workspace::ContractError;

use AdminActionStatus::{Executed, Pending, Rejected};

/// alice, bob, carol and dave own a workspace whose admin policy needs three of them.
struct Four {
    suite: Suite,
    alice: cosmwasm_std::Addr,
    bob: cosmwasm_std::Addr,
    carol: cosmwasm_std::Addr,
    dave: cosmwasm_std::Addr,
    ws: u64,
}

fn four_owners(threshold: u32) -> Four {
    let mut suite = Suite::new();
    let [alice, bob, carol, dave] = ["alice", "bob", "carol", "dave"].map(|n| suite.addr(n));
    let ws = suite.create(&alice, &[&bob, &carol, &dave], Some(owners(threshold)), None);
    Four { suite, alice, bob, carol, dave, ws }
}

impl Four {
    /// `action`, proposed by `proposer` and approved by `approvers`, executes.
    fn run(
        &mut self, proposer: &cosmwasm_std::Addr, approvers: &[&cosmwasm_std::Addr],
        action: AdminAction,
    ) {
        let id = self.suite.propose(proposer, self.ws, action, None).unwrap();
        for approver in approvers {
            self.suite.approve(approver, id).unwrap();
        }
        assert_eq!(self.suite.action(id).status, Executed);
    }
}

fn remove(owner: &cosmwasm_std::Addr) -> AdminAction {
    AdminAction::RemoveOwner { owner: owner.to_string() }
}

fn add(owner: &cosmwasm_std::Addr) -> AdminAction {
    AdminAction::AddOwner { owner: owner.to_string() }
}

#[test]
fn a_removed_and_re_added_owner_gets_no_old_votes_back() {
    let mut t = four_owners(3);
    let (alice, bob, carol, dave) =
        (t.alice.clone(), t.bob.clone(), t.carol.clone(), t.dave.clone());
    let id = t.suite.propose(&alice, t.ws, set_alias("x"), None).unwrap();
    t.suite.approve(&bob, id).unwrap();
    t.run(&carol, &[&dave, &alice], remove(&bob));
    t.run(&carol, &[&dave, &alice], add(&bob));
    // bob's approval was cast under the membership that ended: it shows nowhere and counts not.
    assert_eq!(t.suite.action(id).approvals, vec![alice.clone()]);
    let before = t.suite.workspace(t.ws);

    // carol's approval would have been the third with bob's old one: the action stays pending,
    // and the move drops bob's void vote with an event naming him.
    let res = t.suite.approve(&carol, id).unwrap();
    let voided = mpc_testing::events::one(&res, "wasm-admin_action", "vote_voided");
    assert_eq!(attrs(voided, "voter"), vec![bob.to_string()]);
    assert_eq!(t.suite.action(id).status, Pending);
    assert_eq!(t.suite.workspace(t.ws), before);

    // bob votes afresh (no `AlreadyVoted`): now it executes.
    t.suite.approve(&bob, id).unwrap();
    assert_eq!(t.suite.action(id).status, Executed);
    assert_eq!(t.suite.workspace(t.ws).alias.as_deref(), Some("x"));
}

#[test]
fn an_action_whose_proposer_was_removed_never_executes() {
    let mut t = four_owners(3);
    let (alice, bob, carol, dave) =
        (t.alice.clone(), t.bob.clone(), t.carol.clone(), t.dave.clone());
    let id = t.suite.propose(&alice, t.ws, set_alias("x"), None).unwrap();
    t.suite.approve(&bob, id).unwrap();
    t.run(&bob, &[&carol, &dave], remove(&alice));
    let before = t.suite.workspace(t.ws);
    // Three current owners approve, but the proposer is gone: the action can only be rejected.
    t.suite.approve(&carol, id).unwrap();
    assert_eq!(t.suite.action(id).status, Rejected);
    assert_eq!(t.suite.workspace(t.ws), before);
    // Settled, it shows the votes it was settled with (alice's void one dropped), whatever
    // happens to its voters later.
    assert_eq!(t.suite.action(id).approvals, vec![bob.clone(), carol.clone()]);
    let erin = t.suite.addr("erin");
    t.run(&dave, &[&carol, &bob], add(&erin));
    t.run(&dave, &[&carol, &erin], remove(&bob));
    assert_eq!(t.suite.action(id).approvals, vec![bob, carol]);
}

#[test]
fn an_approver_made_eligible_by_a_new_owner_is_listed() {
    let Three { mut suite, alice, bob, carol, ws, .. } = three_owners(Some(owners(3)));
    let dave = suite.addr("dave");
    let id = suite.propose(&alice, ws, set_alias("x"), None).unwrap();
    let add_dave = suite.propose(&alice, ws, add(&dave), None).unwrap();
    suite.approve(&bob, add_dave).unwrap();
    suite.approve(&carol, add_dave).unwrap();
    // Nobody voted on `id` since dave became an owner: he finds it all the same.
    assert_eq!(suite.awaiting(&dave, None, None), vec![id]);
    assert_eq!(suite.action(id).evaluation.awaiting.len(), 3);
}

#[test]
fn an_approver_made_eligible_by_a_policy_change_is_listed() {
    let Three { mut suite, alice, bob, carol, ws, .. } =
        three_owners_with(|alice, bob| Some(all_of(&[alice, bob])));
    let id = suite.propose(&alice, ws, set_alias("x"), None).unwrap();
    assert!(suite.awaiting(&carol, None, None).is_empty());
    let change = AdminAction::SetAdminPolicy { policy: Some(all_of(&[&alice, &carol])) };
    let change = suite.propose(&alice, ws, change, None).unwrap();
    suite.approve(&bob, change).unwrap();
    // carol is the only approver `id` awaits now: listed though nobody voted since.
    assert_eq!(suite.awaiting(&carol, None, None), vec![id]);
    assert!(suite.awaiting(&bob, None, None).is_empty());
}

fn all_of(approvers: &[&cosmwasm_std::Addr]) -> mpc_interfaces::Policy {
    mpc_interfaces::Policy::AllOf(approvers.iter().map(|a| approver(a)).collect())
}

/// alice's action has alice's and bob's approvals; then the policy is loosened to two.
fn loosened() -> (Three, u64) {
    let mut t = three_owners(Some(owners(3)));
    let id = t.suite.propose(&t.alice, t.ws, set_alias("x"), None).unwrap();
    t.suite.approve(&t.bob, id).unwrap();
    let loosen = AdminAction::SetAdminPolicy { policy: Some(owners(2)) };
    let loosen = t.suite.propose(&t.alice, t.ws, loosen, None).unwrap();
    t.suite.approve(&t.bob, loosen).unwrap();
    t.suite.approve(&t.carol, loosen).unwrap();
    (t, id)
}

#[test]
fn a_loosened_policy_is_settled_by_execute_never_by_a_rejection() {
    let (mut t, id) = loosened();
    assert!(t.suite.action(id).evaluation.satisfied);
    let before = t.suite.workspace(t.ws);
    // carol's rejection only rejects: the action stays pending and the workspace unchanged.
    t.suite.reject(&t.carol, id).unwrap();
    assert_eq!(t.suite.action(id).status, Pending);
    assert_eq!(t.suite.workspace(t.ws), before);
    // Anyone may settle it.
    let res = t.suite.execute(&t.eve, &ExecuteMsg::ExecuteAction { action_id: id }).unwrap();
    assert_eq!(with_action(&res, "wasm-admin_action", "executed").len(), 1);
    assert_eq!(t.suite.action(id).status, Executed);
    assert_eq!(t.suite.workspace(t.ws).alias.as_deref(), Some("x"));
}

#[test]
fn execute_is_refused_unless_the_policy_is_met_on_an_open_action_without_funds() {
    let Three { mut suite, alice, eve, ws, .. } = three_owners(Some(owners(2)));
    let id = suite.propose(&alice, ws, set_alias("x"), Some(5)).unwrap();
    let execute = ExecuteMsg::ExecuteAction { action_id: id };
    suite.assert_refused(
        &eve,
        &execute,
        ContractError::Lifecycle(LifecycleError::PolicyNotMet { id }),
    );

    let (mut t, loose) = loosened();
    t.suite.fund(&t.eve, &[coin(5, "uatom")]);
    let contract = t.suite.contract.clone();
    let execute_loose = ExecuteMsg::ExecuteAction { action_id: loose };
    (*t.suite).assert_refused(
        &contract,
        &t.eve,
        &execute_loose,
        &[coin(5, "uatom")],
        ContractError::Payment(PaymentError::NonPayable {}),
    );
    t.suite.execute(&t.eve, &execute_loose).unwrap();
    t.suite.assert_refused(
        &t.eve,
        &execute_loose,
        ContractError::Lifecycle(LifecycleError::Closed { id: loose, status: Executed }),
    );

    let late = suite.propose(&alice, ws, set_alias("y"), Some(5)).unwrap();
    suite.advance(6);
    suite.assert_refused(
        &eve,
        &ExecuteMsg::ExecuteAction { action_id: late },
        ContractError::Lifecycle(LifecycleError::Expired { id: late }),
    );
}

#[test]
fn the_proposer_cancels_an_open_action_and_nobody_else_can() {
    let Three { mut suite, alice, bob, ws, .. } = three_owners(Some(owners(2)));
    let id = suite.propose(&alice, ws, set_alias("x"), None).unwrap();
    let cancel = ExecuteMsg::CancelAction { action_id: id };
    suite.assert_refused(
        &bob,
        &cancel,
        ContractError::Lifecycle(LifecycleError::NotRequester { id, sender: bob.clone() }),
    );
    let res = suite.execute(&alice, &cancel).unwrap();
    assert_eq!(with_action(&res, "wasm-admin_action", "cancelled").len(), 1);
    assert_eq!(suite.action(id).status, Rejected);
    assert!(suite.awaiting(&bob, None, None).is_empty());
    suite.assert_refused(
        &alice,
        &cancel,
        ContractError::Lifecycle(LifecycleError::Closed { id, status: Rejected }),
    );
}
