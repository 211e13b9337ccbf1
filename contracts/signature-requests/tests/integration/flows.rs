//! The seed process, end to end: request, approvals, party answers, settlement and queries.

use cosmwasm_std::{coin, Binary};
use cw_multi_test::Executor;
use mpc_interfaces::keyring::ExecuteMsg as KeyringExecuteMsg;
use mpc_interfaces::signature_requests::{
    PolicyEvaluationResponse, QueryMsg, SignRequestStatus, SignResult,
};
use mpc_interfaces::{KeyType, Policy};

use crate::suite::*;

fn owners(threshold: u32) -> Option<Policy> {
    Some(Policy::Owners { threshold: Some(threshold) })
}

fn keyring_list(suite: &Suite, status: SignRequestStatus) -> Vec<u64> {
    suite.list(&QueryMsg::RequestsByKeyring {
        keyring_id: suite.keyring_id,
        status,
        start_after: None,
        limit: None,
    })
}

fn awaiting(suite: &Suite, approver: &cosmwasm_std::Addr) -> Vec<u64> {
    suite.inbox(approver, None)
}

#[test]
fn one_of_one_owner_goes_straight_to_pending_and_two_parties_fulfil() {
    let mut suite = Suite::with_policy(None);
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let alice = suite.alice.clone();
    let res =
        suite.execute(&alice, &Suite::request_msg(key_id, vec![hash(1)]), &Suite::fee()).unwrap();
    assert_eq!(actions(&res), vec!["created", "pending"]);
    let created = request_events(&res)[0];
    assert_eq!(attr_value(created, "key_id"), key_id.to_string());
    assert_eq!(attr_value(created, "keyring_id"), suite.keyring_id.to_string());
    assert_eq!(attr_value(created, "workspace_id"), suite.workspace_id.to_string());
    assert_eq!(attr_value(created, "status"), "pending");
    let id: u64 = attr_value(created, "request_id").parse().unwrap();

    let request = suite.query_request(id);
    assert_eq!(request.status, SignRequestStatus::Pending);
    assert_eq!(request.approvals, vec![alice.clone()]);
    assert_eq!(request.mpc_deadline_height, Some(suite.height() + MPC_TIMEOUT));
    assert_eq!(request.fee, Suite::fee());
    assert_eq!(keyring_list(&suite, SignRequestStatus::Pending), vec![id]);
    assert_eq!(suite.balance(&suite.contract, DENOM), FEE);

    let (p1, p2) = (suite.parties[0].clone(), suite.parties[1].clone());
    let good = suite.sign(id);
    let res = suite.submit(&p1, id, good.clone()).unwrap();
    assert_eq!(actions(&res), vec!["party_result"]);
    assert_eq!(suite.query_request(id).status, SignRequestStatus::Pending);
    let res = suite.submit(&p2, id, good.clone()).unwrap();
    assert_eq!(actions(&res), vec!["party_result", "fulfilled"]);

    let request = suite.query_request(id);
    assert_eq!(request.status, SignRequestStatus::Fulfilled);
    let SignResult::Success { signatures, recovery_ids } = good else { unreachable!() };
    assert_eq!(request.signatures, Some(signatures));
    assert_eq!(request.recovery_ids, Some(recovery_ids));
    // 301 split over two parties: the first answer gets the odd unit.
    assert_eq!(suite.balance(&p1, DENOM), 151);
    assert_eq!(suite.balance(&p2, DENOM), 150);
    assert_eq!(suite.balance(&suite.contract, DENOM), 0);
    assert_eq!(suite.balance(&alice, DENOM), START_BALANCE - FEE);
    assert!(keyring_list(&suite, SignRequestStatus::Pending).is_empty());
    assert_eq!(keyring_list(&suite, SignRequestStatus::Fulfilled), vec![id]);
}

#[test]
fn two_of_three_owners_approve_before_pending() {
    let mut suite = Suite::with_policy(owners(2));
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let (alice, bob, carol) = (suite.alice.clone(), suite.bob.clone(), suite.carol.clone());
    let res =
        suite.execute(&alice, &Suite::request_msg(key_id, vec![hash(1)]), &Suite::fee()).unwrap();
    assert_eq!(actions(&res), vec!["created"]);
    let created = request_events(&res)[0];
    assert_eq!(attr_value(created, "status"), "partial");
    let mut expected_approvers = vec![bob.to_string(), carol.to_string()];
    expected_approvers.sort();
    let mut approvers = attr_values(created, "approver");
    approvers.sort();
    assert_eq!(approvers, expected_approvers);
    assert_eq!(attr_value(created, "requester"), alice.as_str());
    let id: u64 = attr_value(created, "request_id").parse().unwrap();

    assert_eq!(suite.query_request(id).status, SignRequestStatus::Partial);
    assert_eq!(suite.query_request(id).mpc_deadline_height, None);
    assert_eq!(awaiting(&suite, &bob), vec![id]);
    assert_eq!(awaiting(&suite, &carol), vec![id]);
    assert!(awaiting(&suite, &alice).is_empty(), "the requester's approval counts");
    assert_eq!(keyring_list(&suite, SignRequestStatus::Partial), vec![id]);
    assert!(keyring_list(&suite, SignRequestStatus::Pending).is_empty());

    let evaluation: PolicyEvaluationResponse =
        suite.query(&QueryMsg::PolicyEvaluation { request_id: id });
    assert!(!evaluation.evaluation.satisfied);
    assert!(evaluation.evaluation.satisfiable);
    assert_eq!(evaluation.approvals, vec![alice.clone()]);

    suite.advance(3);
    let res = suite.approve(&bob, id).unwrap();
    assert_eq!(actions(&res), vec!["approved", "pending"]);
    let request = suite.query_request(id);
    assert_eq!(request.status, SignRequestStatus::Pending);
    assert_eq!(request.approvals, vec![alice, bob.clone()]);
    assert_eq!(request.mpc_deadline_height, Some(suite.height() + MPC_TIMEOUT));
    // Leaving `partial` clears carol's work list too.
    assert!(awaiting(&suite, &bob).is_empty());
    assert!(awaiting(&suite, &carol).is_empty());
    assert_eq!(keyring_list(&suite, SignRequestStatus::Pending), vec![id]);
}

#[test]
fn approvers_rejections_make_the_policy_unsatisfiable_and_refund() {
    let mut suite = Suite::with_policy(owners(2));
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let (alice, bob, carol) = (suite.alice.clone(), suite.bob.clone(), suite.carol.clone());
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    assert_eq!(suite.balance(&alice, DENOM), START_BALANCE - FEE);

    // One rejection leaves carol able to satisfy the policy.
    let res = suite.reject(&bob, id).unwrap();
    assert_eq!(actions(&res), vec!["rejected"]);
    assert_eq!(attr_value(request_events(&res)[0], "status"), "partial");
    assert_eq!(suite.query_request(id).status, SignRequestStatus::Partial);
    assert_eq!(awaiting(&suite, &carol), vec![id]);

    let res = suite.reject(&carol, id).unwrap();
    assert_eq!(actions(&res), vec!["rejected", "rejected"]);
    assert_eq!(attr_value(request_events(&res)[1], "status"), "rejected");
    let request = suite.query_request(id);
    assert_eq!(request.status, SignRequestStatus::Rejected);
    // Votes are listed in address order.
    let mut rejected = vec![bob, carol.clone()];
    rejected.sort();
    assert_eq!(request.rejections, rejected);
    assert_eq!(
        request.reject_reason.as_deref(),
        Some("the sign policy can no longer be satisfied")
    );
    assert_eq!(suite.balance(&alice, DENOM), START_BALANCE);
    assert_eq!(suite.balance(&suite.contract, DENOM), 0);
    assert!(awaiting(&suite, &carol).is_empty());
    assert_eq!(keyring_list(&suite, SignRequestStatus::Rejected), vec![id]);
}

#[test]
fn two_of_three_parties_fulfil_while_the_third_fails() {
    let mut suite = Suite::with_policy(None);
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let alice = suite.alice.clone();
    let parties = suite.parties.clone();
    let id = suite.request(&alice, key_id, vec![hash(1)]);

    let res = suite.submit(&parties[2], id, Suite::failure("share unavailable")).unwrap();
    let event = request_events(&res)[0];
    assert_eq!(attr_value(event, "failures"), "1");
    assert_eq!(suite.query_request(id).status, SignRequestStatus::Pending);
    let good = suite.sign(id);
    suite.submit(&parties[0], id, good.clone()).unwrap();
    assert_eq!(suite.query_request(id).status, SignRequestStatus::Pending);
    suite.submit(&parties[1], id, good).unwrap();

    let request = suite.query_request(id);
    assert_eq!(request.status, SignRequestStatus::Fulfilled);
    assert_eq!(request.answers.len(), 3);
    // The failed party is not paid.
    assert_eq!(suite.balance(&parties[0], DENOM), 151);
    assert_eq!(suite.balance(&parties[1], DENOM), 150);
    assert_eq!(suite.balance(&parties[2], DENOM), 0);
}

#[test]
fn failures_that_leave_the_threshold_unreachable_reject_and_refund() {
    let mut suite = Suite::with_policy(None);
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let alice = suite.alice.clone();
    let parties = suite.parties.clone();
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    let good = suite.sign(id);
    suite.submit(&parties[0], id, good).unwrap();
    suite.submit(&parties[1], id, Suite::failure("timeout")).unwrap();
    assert_eq!(suite.query_request(id).status, SignRequestStatus::Pending);

    let res = suite.submit(&parties[2], id, Suite::failure("timeout")).unwrap();
    assert_eq!(actions(&res), vec!["party_result", "rejected"]);
    let request = suite.query_request(id);
    assert_eq!(request.status, SignRequestStatus::Rejected);
    assert_eq!(
        request.reject_reason.as_deref(),
        Some("party threshold 2 can no longer be met: 0 parties unanswered, largest agreement 1")
    );
    assert_eq!(request.signatures, None);
    assert_eq!(suite.balance(&alice, DENOM), START_BALANCE);
    assert_eq!(suite.balance(&parties[0], DENOM), 0);
    assert_eq!(suite.balance(&suite.contract, DENOM), 0);
}

#[test]
fn approval_phase_expiry_reads_expired_and_expire_refunds() {
    let mut suite = Suite::with_policy(owners(3));
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let (alice, bob, outsider) = (suite.alice.clone(), suite.bob.clone(), suite.outsider.clone());
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    let deadline = suite.query_request(id).approval_deadline_height;
    assert_eq!(deadline, suite.height() + APPROVAL_TIMEOUT);

    suite.advance(APPROVAL_TIMEOUT);
    // At the deadline height the request still takes votes.
    suite.approve(&bob, id).unwrap();
    suite.advance(1);
    assert_eq!(suite.query_request(id).status, SignRequestStatus::Expired);
    assert!(keyring_list(&suite, SignRequestStatus::Partial).is_empty());
    assert_eq!(keyring_list(&suite, SignRequestStatus::Expired), vec![id]);
    assert!(awaiting(&suite, &suite.carol.clone()).is_empty());
    // Nothing was settled yet: the fee is still held.
    assert_eq!(suite.balance(&suite.contract, DENOM), FEE);

    let res = suite.expire(&outsider, vec![id]).unwrap();
    assert_eq!(actions(&res), vec!["expired"]);
    assert_eq!(suite.query_request(id).status, SignRequestStatus::Expired);
    assert_eq!(suite.balance(&alice, DENOM), START_BALANCE);
    assert_eq!(suite.balance(&suite.contract, DENOM), 0);
    assert_eq!(keyring_list(&suite, SignRequestStatus::Expired), vec![id]);
}

#[test]
fn mpc_phase_expiry_leaves_the_pending_list_and_expire_refunds() {
    let mut suite = Suite::with_policy(None);
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let (alice, outsider) = (suite.alice.clone(), suite.outsider.clone());
    let parties = suite.parties.clone();
    let first = suite.request(&alice, key_id, vec![hash(1)]);
    suite.advance(5);
    let second = suite.request(&alice, key_id, vec![hash(2)]);
    let good = suite.sign(first);
    suite.submit(&parties[0], first, good).unwrap();

    // One block past `first`'s deadline; `second` (5 blocks younger) still has 4 to go.
    suite.advance(MPC_TIMEOUT - 4);
    assert_eq!(suite.query_request(first).status, SignRequestStatus::Expired);
    assert_eq!(suite.query_request(second).status, SignRequestStatus::Pending);
    assert_eq!(keyring_list(&suite, SignRequestStatus::Pending), vec![second]);
    assert_eq!(keyring_list(&suite, SignRequestStatus::Expired), vec![first]);

    suite.expire(&outsider, vec![first]).unwrap();
    assert_eq!(suite.balance(&alice, DENOM), START_BALANCE - FEE);
    assert_eq!(suite.balance(&parties[0], DENOM), 0);
    assert_eq!(suite.balance(&suite.contract, DENOM), FEE);
    assert_eq!(suite.query_request(first).status, SignRequestStatus::Expired);
}

#[test]
fn a_batch_of_hashes_is_signed_and_every_signature_verified() {
    let mut suite = Suite::with_policy(None);
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let alice = suite.alice.clone();
    let parties = suite.parties.clone();
    let items: Vec<Binary> = (1..=5).map(hash).collect();
    let id = suite.request(&alice, key_id, items.clone());
    let good = suite.sign(id);
    suite.submit(&parties[1], id, good.clone()).unwrap();
    suite.submit(&parties[2], id, good).unwrap();
    let request = suite.query_request(id);
    assert_eq!(request.status, SignRequestStatus::Fulfilled);
    let signatures = request.signatures.unwrap();
    assert_eq!(signatures.len(), 5);
    // Check them off chain too, with the key the keyring recorded.
    use k256::ecdsa::signature::hazmat::PrehashVerifier;
    let key = k256::ecdsa::VerifyingKey::from_sec1_bytes(&request.public_key).unwrap();
    let recovery_ids = request.recovery_ids.expect("one recovery id per ECDSA signature");
    assert_eq!(recovery_ids.len(), 5);
    for ((item, signature), id) in items.iter().zip(&signatures).zip(recovery_ids) {
        let signature = k256::ecdsa::Signature::from_slice(signature).unwrap();
        key.verify_prehash(item, &signature).unwrap();
        // The stored id recovers the key, as an EVM chain's ecrecover does with v = 27 + id.
        let id = k256::ecdsa::RecoveryId::from_byte(id).expect("0 or 1");
        let recovered =
            k256::ecdsa::VerifyingKey::recover_from_prehash(item, &signature, id).unwrap();
        assert_eq!(recovered, key);
    }
}

#[test]
fn eddsa_messages_of_any_length_are_signed() {
    let mut suite = Suite::with_policy(None);
    let key_id = suite.create_key(KeyType::EddsaEd25519, None);
    let alice = suite.alice.clone();
    let parties = suite.parties.clone();
    let items = vec![Binary::from(b"transfer 10 to bob".to_vec()), Binary::from(vec![0xab; 1024])];
    let id = suite.request(&alice, key_id, items);
    let good = suite.sign(id);
    suite.submit(&parties[0], id, good.clone()).unwrap();
    suite.submit(&parties[2], id, good).unwrap();
    let request = suite.query_request(id);
    assert_eq!(request.status, SignRequestStatus::Fulfilled);
    assert_eq!(request.key_type, KeyType::EddsaEd25519);
    assert_eq!(request.recovery_ids, None, "EdDSA signatures have no recovery id");
    assert_eq!(suite.balance(&parties[0], DENOM), 151);
    assert_eq!(suite.balance(&parties[2], DENOM), 150);
}

#[test]
fn a_keys_own_policy_overrides_the_workspaces() {
    let mut suite = Suite::with_policy(None);
    let carol = suite.carol.clone();
    // The workspace lets any owner sign alone; this key needs carol.
    let key_id =
        suite.create_key(KeyType::EcdsaSecp256k1, Some(Policy::Approver(carol.to_string())));
    let alice = suite.alice.clone();
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    let request = suite.query_request(id);
    assert_eq!(request.status, SignRequestStatus::Partial);
    assert_eq!(request.policy, Policy::Approver(carol.to_string()));
    assert!(request.approvals.is_empty(), "alice is not eligible under the key's policy");
    assert_eq!(awaiting(&suite, &carol), vec![id]);
    suite.approve(&carol, id).unwrap();
    assert_eq!(suite.query_request(id).status, SignRequestStatus::Pending);
}

#[test]
fn the_fee_paid_is_held_even_when_the_keyring_fee_changes() {
    let mut suite = Suite::with_policy(None);
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let (alice, admin) = (suite.alice.clone(), suite.keyring_admin.clone());
    let parties = suite.parties.clone();
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    let (keyring, keyring_id) = (suite.keyring.clone(), suite.keyring_id);
    suite
        .app
        .execute_contract(
            admin,
            keyring,
            &KeyringExecuteMsg::UpdateKeyring {
                keyring_id,
                description: None,
                party_threshold: None,
                key_req_fee: None,
                sig_req_fee: Some(vec![coin(1_000, DENOM)]),
            },
            &[],
        )
        .unwrap();
    assert_eq!(suite.query_request(id).fee, Suite::fee());
    let good = suite.sign(id);
    suite.submit(&parties[0], id, good.clone()).unwrap();
    suite.submit(&parties[1], id, good).unwrap();
    assert_eq!(suite.balance(&parties[0], DENOM) + suite.balance(&parties[1], DENOM), FEE);
    // New requests pay the new fee.
    suite.assert_refused(
        &alice,
        &Suite::request_msg(key_id, vec![hash(2)]),
        &Suite::fee(),
        mpc_signature_requests::ContractError::Fee(mpc_contract_kit::fees::FeeError::WrongAmount {
            denom: DENOM.to_string(),
            expected: 1_000u128.into(),
            sent: FEE.into(),
        }),
    );
}

#[test]
fn list_queries_page_over_their_indexes() {
    let mut suite = Suite::with_policy(None);
    let key_a = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let key_b = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let (alice, bob) = (suite.alice.clone(), suite.bob.clone());
    let mut by_a = vec![];
    for n in 0..5 {
        let requester = if n % 2 == 0 { &alice } else { &bob };
        by_a.push(suite.request(requester, key_a, vec![hash(n)]));
        suite.request(&alice, key_b, vec![hash(n)]);
    }
    let by_key = |suite: &Suite, start_after, limit| {
        suite.list(&QueryMsg::RequestsByKey { key_id: key_a, start_after, limit })
    };
    assert_eq!(by_key(&suite, None, None), by_a);
    assert_eq!(by_key(&suite, None, Some(2)), by_a[..2]);
    assert_eq!(by_key(&suite, Some(by_a[1]), Some(2)), by_a[2..4]);
    assert_eq!(by_key(&suite, Some(by_a[4]), None), Vec::<u64>::new());

    let bobs = suite.list(&QueryMsg::RequestsByRequester {
        requester: bob.to_string(),
        start_after: None,
        limit: None,
    });
    assert_eq!(bobs, vec![by_a[1], by_a[3]]);
    let workspace = suite.list(&QueryMsg::RequestsByWorkspace {
        workspace_id: suite.workspace_id,
        start_after: Some(3),
        limit: Some(4),
    });
    assert_eq!(workspace, vec![4, 5, 6, 7]);
    let pending = suite.list(&QueryMsg::RequestsByKeyring {
        keyring_id: suite.keyring_id,
        status: SignRequestStatus::Pending,
        start_after: Some(8),
        limit: Some(10),
    });
    assert_eq!(pending, vec![9, 10]);
    let other_keyring = suite.list(&QueryMsg::RequestsByKeyring {
        keyring_id: suite.keyring_id + 1,
        status: SignRequestStatus::Pending,
        start_after: None,
        limit: None,
    });
    assert!(other_keyring.is_empty());
}
