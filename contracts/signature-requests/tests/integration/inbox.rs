//! The approver inbox (`RequestsAwaitingApprover`): it lists a request only while the request
//! awaits that approver's vote, judged as the next vote would be (the sign policy and owners in
//! force), so also after a policy change or an owner's removal, and never once the request is
//! pending, rejected, expired or fulfilled.

use mpc_interfaces::signature_requests::SignRequestStatus;
use mpc_interfaces::workspace::AdminAction;
use mpc_interfaces::{KeyType, Policy};

use crate::suite::*;
use cosmwasm_std::Addr;

fn inbox(suite: &Suite, approver: &Addr) -> Vec<u64> {
    suite.inbox(approver, None)
}

fn assert_in_no_inbox(suite: &Suite) {
    for approver in [&suite.alice, &suite.bob, &suite.carol] {
        assert!(inbox(suite, approver).is_empty(), "{approver} still lists it");
    }
}

fn two_owners() -> Option<Policy> {
    Some(Policy::Owners { threshold: Some(2) })
}

/// Two of alice, bob and carol sign; alice's request (her approval counts) awaits bob and carol.
fn waiting_request() -> (Suite, u64, u64) {
    let mut suite = Suite::with_policy(two_owners());
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let alice = suite.alice.clone();
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    assert_eq!(inbox(&suite, &suite.bob), vec![id]);
    assert_eq!(inbox(&suite, &suite.carol), vec![id]);
    (suite, key_id, id)
}

#[test]
fn a_removed_owner_no_longer_lists_the_requests_they_were_awaited_on() {
    let (mut suite, _, id) = waiting_request();
    let (alice, bob, carol) = (suite.alice.clone(), suite.bob.clone(), suite.carol.clone());
    suite.admin_action(&alice, AdminAction::RemoveOwner { owner: carol.to_string() }).unwrap();
    assert_eq!(suite.query_request(id).status, SignRequestStatus::Partial);
    assert!(inbox(&suite, &carol).is_empty());
    assert_eq!(inbox(&suite, &bob), vec![id]);

    // bob's approval makes it pending; then the parties fulfil it.
    suite.approve(&bob, id).unwrap();
    assert_eq!(suite.query_request(id).status, SignRequestStatus::Pending);
    assert_in_no_inbox(&suite);
    let signed = suite.sign(id);
    for party in suite.parties.clone().into_iter().take(2) {
        suite.submit(&party, id, signed.clone()).unwrap();
    }
    assert_eq!(suite.query_request(id).status, SignRequestStatus::Fulfilled);
    assert_in_no_inbox(&suite);
}

#[test]
fn a_key_policy_change_moves_the_request_out_of_the_inboxes_it_no_longer_awaits() {
    let (mut suite, key_id, id) = waiting_request();
    let (alice, bob, carol) = (suite.alice.clone(), suite.bob.clone(), suite.carol.clone());
    suite.set_key_policy(&alice, key_id, Some(Policy::Approver(carol.to_string()))).unwrap();
    assert_eq!(suite.query_request(id).status, SignRequestStatus::Partial);
    assert!(inbox(&suite, &bob).is_empty());
    assert_eq!(inbox(&suite, &carol), vec![id]);

    // Rejected by the only approver: out of every inbox.
    suite.reject(&carol, id).unwrap();
    assert_eq!(suite.query_request(id).status, SignRequestStatus::Rejected);
    assert_in_no_inbox(&suite);
}

#[test]
fn a_request_that_expired_after_a_policy_change_leaves_every_inbox() {
    let (mut suite, key_id, id) = waiting_request();
    let alice = suite.alice.clone();
    suite.set_key_policy(&alice, key_id, Some(Policy::Owners { threshold: Some(3) })).unwrap();
    suite.advance(APPROVAL_TIMEOUT + 1);
    assert_in_no_inbox(&suite);
    let outsider = suite.outsider.clone();
    suite.expire(&outsider, vec![id]).unwrap();
    assert_eq!(suite.query_request(id).status, SignRequestStatus::Expired);
    assert_in_no_inbox(&suite);
}
