//! Issue 23 ("votes that mean what they say"): each attack on signature requests, now refused,
//! with storage and balances unchanged where a message is refused.

use cosmwasm_std::{coin, Addr};
use cw_utils::PaymentError;
use mpc_contract_kit::lifecycle::LifecycleError;
use mpc_interfaces::signature_requests::{ExecuteMsg, SignRequestStatus};
use mpc_interfaces::workspace::AdminAction;
use mpc_interfaces::{KeyType, Policy};
use mpc_signature_requests::ContractError;

use crate::suite::*;

use SignRequestStatus::{Partial, Pending, Rejected};

fn owners(threshold: u32) -> Option<Policy> {
    Some(Policy::Owners { threshold: Some(threshold) })
}

/// alice, bob, carol and dave own the workspace; the sign policy needs `threshold` of them. The
/// admin policy is the default: any one owner changes the workspace at once.
fn four_owners(threshold: u32) -> (Suite, Addr, u64) {
    let dave = mpc_testing::addr("dave");
    let owner = dave.clone();
    let mut suite = Suite::build(owners(threshold), move |_| vec![owner]);
    suite.fund(&dave, &[coin(START_BALANCE, DENOM)]);
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    (suite, dave, key_id)
}

fn remove(owner: &Addr) -> AdminAction {
    AdminAction::RemoveOwner { owner: owner.to_string() }
}

fn add(owner: &Addr) -> AdminAction {
    AdminAction::AddOwner { owner: owner.to_string() }
}

fn status(suite: &Suite, request_id: u64) -> SignRequestStatus {
    suite.query_request(request_id).status
}

#[test]
fn a_removed_and_re_added_owner_gets_no_old_votes_back() {
    let (mut suite, _dave, key_id) = four_owners(3);
    let (alice, bob, carol) = (suite.alice.clone(), suite.bob.clone(), suite.carol.clone());
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    suite.approve(&bob, id).unwrap();
    suite.admin_action(&carol, remove(&bob)).unwrap();
    suite.admin_action(&carol, add(&bob)).unwrap();
    // bob's approval was cast under the membership that ended: it shows nowhere.
    assert_eq!(suite.query_request(id).approvals, vec![alice.clone()]);

    // carol's approval would have been the third with bob's old one: still partial, and the
    // move drops bob's void vote with an event naming him.
    let res = suite.approve(&carol, id).unwrap();
    let voided = mpc_testing::events::one(&res, "wasm-signature_request", "vote_voided");
    assert_eq!(attr_values(voided, "voter"), vec![bob.to_string()]);
    assert_eq!(status(&suite, id), Partial);
    // bob votes afresh (no `AlreadyVoted`): now it is the parties' turn.
    suite.approve(&bob, id).unwrap();
    assert_eq!(status(&suite, id), Pending);
}

#[test]
fn a_removed_requesters_request_never_turns_pending() {
    let (mut suite, dave, key_id) = four_owners(3);
    let (alice, bob, carol) = (suite.alice.clone(), suite.bob.clone(), suite.carol.clone());
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    suite.approve(&bob, id).unwrap();
    suite.admin_action(&bob, remove(&alice)).unwrap();
    let alice_before = suite.balance(&alice, DENOM);
    // Three current owners approve: the request can only be rejected, its fee refunded.
    suite.approve(&carol, id).unwrap();
    assert_eq!(status(&suite, id), Rejected);
    assert_eq!(suite.balance(&alice, DENOM), alice_before + FEE);
    suite.assert_refused(
        &dave,
        &ExecuteMsg::Approve { request_id: id },
        &[],
        ContractError::Lifecycle(LifecycleError::Closed { id, status: Rejected }),
    );
}

#[test]
fn an_approver_made_eligible_by_a_new_owner_is_listed() {
    let mut suite = Suite::with_policy(owners(3));
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let (alice, dave) = (suite.alice.clone(), mpc_testing::addr("dave"));
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    suite.admin_action(&alice, add(&dave)).unwrap();
    // Nobody voted since dave became an owner: he finds it all the same.
    assert_eq!(suite.inbox(&dave, None), vec![id]);
}

#[test]
fn an_approver_made_eligible_by_a_policy_change_is_listed() {
    let mut suite = Suite::with_policy(None);
    let (alice, bob, carol) = (suite.alice.clone(), suite.bob.clone(), suite.carol.clone());
    let both = |a: &Addr, b: &Addr| {
        Policy::AllOf(vec![Policy::Approver(a.to_string()), Policy::Approver(b.to_string())])
    };
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, Some(both(&alice, &bob)));
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    assert!(suite.inbox(&carol, None).is_empty());
    suite.set_key_policy(&alice, key_id, Some(both(&alice, &carol))).unwrap();
    // carol is the only approver it awaits now: listed though nobody voted since.
    assert_eq!(suite.inbox(&carol, None), vec![id]);
    assert!(suite.inbox(&bob, None).is_empty());
}

/// alice's request has alice's and bob's approvals under "three owners"; then the sign policy
/// is loosened to two.
fn loosened() -> (Suite, u64) {
    let mut suite = Suite::with_policy(owners(3));
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let (alice, bob) = (suite.alice.clone(), suite.bob.clone());
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    suite.approve(&bob, id).unwrap();
    let loosen = AdminAction::SetSignPolicy { policy: owners(2) };
    suite.admin_action(&alice, loosen).unwrap();
    (suite, id)
}

#[test]
fn a_loosened_policy_is_settled_by_execute_never_by_a_rejection() {
    let (mut suite, id) = loosened();
    let (carol, outsider) = (suite.carol.clone(), suite.outsider.clone());
    // carol's rejection only rejects: the parties get nothing to sign.
    suite.reject(&carol, id).unwrap();
    assert_eq!(status(&suite, id), Partial);
    // Anyone may settle it.
    let res = suite.execute(&outsider, &ExecuteMsg::Execute { request_id: id }, &[]).unwrap();
    assert_eq!(actions(&res), vec!["pending"]);
    assert_eq!(status(&suite, id), Pending);
}

#[test]
fn execute_is_refused_unless_the_policy_is_met_on_an_open_request_without_funds() {
    let mut suite = Suite::with_policy(owners(2));
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let (alice, outsider) = (suite.alice.clone(), suite.outsider.clone());
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    let execute = |request_id| ExecuteMsg::Execute { request_id };
    suite.assert_refused(
        &outsider,
        &execute(id),
        &[],
        ContractError::Lifecycle(LifecycleError::PolicyNotMet { id }),
    );

    let (mut suite, loose) = loosened();
    let outsider = suite.outsider.clone();
    suite.assert_refused(
        &outsider,
        &execute(loose),
        &[coin(5, DENOM)],
        ContractError::Payment(PaymentError::NonPayable {}),
    );
    suite.execute(&outsider, &execute(loose), &[]).unwrap();
    suite.assert_refused(
        &outsider,
        &execute(loose),
        &[],
        ContractError::NotAwaitingApprovals { request_id: loose, status: Pending },
    );
    // A final request.
    let alice = suite.alice.clone();
    let key_id = suite.query_request(loose).key_id;
    let cancelled = suite.request(&alice, key_id, vec![hash(2)]);
    suite.execute(&alice, &ExecuteMsg::Cancel { request_id: cancelled }, &[]).unwrap();
    suite.assert_refused(
        &outsider,
        &execute(cancelled),
        &[],
        ContractError::Lifecycle(LifecycleError::Closed { id: cancelled, status: Rejected }),
    );
    // An overdue one.
    let late = suite.request(&alice, key_id, vec![hash(3)]);
    suite.advance(APPROVAL_TIMEOUT + 1);
    suite.assert_refused(
        &outsider,
        &execute(late),
        &[],
        ContractError::Lifecycle(LifecycleError::Expired { id: late }),
    );
}

#[test]
fn the_requester_cancels_a_partial_request_with_its_fee_refunded_and_nobody_else_can() {
    let mut suite = Suite::with_policy(owners(2));
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let (alice, bob) = (suite.alice.clone(), suite.bob.clone());
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    let cancel = ExecuteMsg::Cancel { request_id: id };
    suite.assert_refused(
        &bob,
        &cancel,
        &[],
        ContractError::Lifecycle(LifecycleError::NotRequester { id, sender: bob.clone() }),
    );
    suite.assert_refused(
        &alice,
        &cancel,
        &[coin(1, DENOM)],
        ContractError::Payment(PaymentError::NonPayable {}),
    );
    let before = suite.balance(&alice, DENOM);
    let res = suite.execute(&alice, &cancel, &[]).unwrap();
    assert_eq!(actions(&res), vec!["cancelled", "rejected"]);
    assert_eq!(suite.balance(&alice, DENOM), before + FEE);
    assert_eq!(status(&suite, id), Rejected);
    assert!(suite.inbox(&bob, None).is_empty());

    // Once pending, the parties are at work: no cancel.
    let pending = suite.request(&alice, key_id, vec![hash(2)]);
    suite.approve(&bob, pending).unwrap();
    suite.assert_refused(
        &alice,
        &ExecuteMsg::Cancel { request_id: pending },
        &[],
        ContractError::NotAwaitingApprovals { request_id: pending, status: Pending },
    );
}
