//! Issue 10 ("contract security"): each attack that went through on the three contracts
//! together, now refused.

use cosmwasm_std::{coin, Api, Binary, CosmosMsg, WasmMsg};
use cw_multi_test::Executor;
use cw_utils::PaymentError;
use k256::ecdsa::signature::hazmat::RandomizedPrehashSigner;
use mpc_contract_kit::lifecycle::LifecycleError;
use mpc_interfaces::keyring::{ExecuteMsg as KeyringExecuteMsg, KeyResult};
use mpc_interfaces::signature_requests::{ExecuteMsg, SignRequestStatus, SignResult};
use mpc_interfaces::workspace::{AdminAction, QueryMsg as WorkspaceQueryMsg, SignPolicyResponse};
use mpc_interfaces::{KeyType, Policy};
use mpc_policy::PolicyError;
use mpc_signature_requests::execute::is_low_s;
use mpc_signature_requests::ContractError;
use rand::SeedableRng;

use crate::suite::*;

fn owners(threshold: u32) -> Policy {
    Policy::Owners { threshold: Some(threshold) }
}

/// Makes the admin policy "all three owners" (alice alone meets the default one).
fn admin_needs_all_three(suite: &mut Suite) {
    let alice = suite.alice.clone();
    suite.admin_action(&alice, AdminAction::SetAdminPolicy { policy: Some(owners(3)) }).unwrap();
}

fn remove_owner(suite: &mut Suite, by: &cosmwasm_std::Addr, owner: &cosmwasm_std::Addr) {
    suite.admin_action(by, AdminAction::RemoveOwner { owner: owner.to_string() }).unwrap();
}

/// A second valid signature of `item` with the suite's ECDSA key (another nonce), low-S.
fn other_ecdsa_signature(suite: &Suite, item: &[u8], seed: u64) -> Binary {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let signature: k256::ecdsa::Signature =
        suite.ecdsa.sign_prehash_with_rng(&mut rng, item).unwrap();
    let signature = signature.normalize_s().unwrap_or(signature);
    Binary::from(signature.to_bytes().to_vec())
}

/// An answer with one ECDSA signature of `item` by the suite's key, with its recovery id.
fn one(suite: &Suite, item: &[u8], signature: Binary) -> SignResult {
    let public_key = suite.public_key(KeyType::EcdsaSecp256k1);
    let id = mpc_testing::keys::ecdsa_recovery_id(&public_key, item, &signature);
    SignResult::Success { signatures: vec![signature], recovery_ids: vec![id] }
}

/// Attack 1: under a sign policy that needs all three owners, alice requested a key with the
/// key policy `approver: alice` and her requests went straight to `pending`. A key request no
/// longer takes a policy, and a key's own policy needs the admin policy.
#[test]
fn one_owner_cannot_sidestep_the_sign_policy_with_a_key_policy() {
    let mut suite = Suite::with_policy(Some(owners(3)));
    admin_needs_all_three(&mut suite);
    let alice = suite.alice.clone();

    // The old message, with a key policy: the field is no longer read (unknown fields are
    // ignored), so the key it makes has no policy of its own.
    let old_request_key = format!(
        r#"{{"request_key":{{"workspace_id":{},"keyring_id":{},"key_type":"ecdsa_secp256k1","sign_policy":{{"approver":"{alice}"}},"timeout_blocks":null}}}}"#,
        suite.workspace_id, suite.keyring_id
    );
    let keyring = suite.keyring.to_string();
    let res = suite
        .app
        .execute(
            alice.clone(),
            CosmosMsg::Wasm(WasmMsg::Execute {
                contract_addr: keyring,
                msg: Binary::from(old_request_key.into_bytes()),
                funds: vec![],
            }),
        )
        .unwrap();
    let request_id: u64 = event_attr(&res, "wasm-key_request", "request_id").parse().unwrap();
    let answer = KeyringExecuteMsg::SubmitKeyResult {
        request_id,
        result: KeyResult::Success { public_key: suite.public_key(KeyType::EcdsaSecp256k1) },
    };
    let keyring = suite.keyring.clone();
    for party in suite.parties.clone() {
        suite.app.execute_contract(party, keyring.clone(), &answer, &[]).unwrap();
    }
    let key_id = 1;
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    let request = suite.query_request(id);
    assert_eq!(request.status, SignRequestStatus::Partial);
    assert_eq!(request.policy, owners(3));

    // Alice alone proposes the weaker policy: it waits for bob and carol.
    suite.set_key_policy(&alice, key_id, Some(Policy::Approver(alice.to_string()))).unwrap();
    let in_force: SignPolicyResponse = suite
        .app
        .wrap()
        .query_wasm_smart(
            &suite.workspace,
            &WorkspaceQueryMsg::SignPolicy {
                workspace_id: suite.workspace_id,
                key_id: Some(key_id),
            },
        )
        .unwrap();
    assert!(!in_force.key_policy);
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    assert_eq!(suite.query_request(id).status, SignRequestStatus::Partial);
}

/// Attack 2: a key policy naming carol let her keep approving after her removal. Removal now
/// checks key policies; once the key policy no longer names her she can be removed, and then
/// she is neither awaited nor able to approve.
#[test]
fn removed_owner_cannot_approve_through_a_key_policy() {
    let mut suite = Suite::with_policy(None);
    let (alice, carol) = (suite.alice.clone(), suite.carol.clone());
    let key_id =
        suite.create_key(KeyType::EcdsaSecp256k1, Some(Policy::Approver(carol.to_string())));
    let err = suite
        .admin_action(&alice, AdminAction::RemoveOwner { owner: carol.to_string() })
        .unwrap_err();
    assert_eq!(
        contract_error(&err),
        mpc_workspace::ContractError::OwnerNamedInPolicy {
            owner: carol.to_string(),
            policy: format!("key {key_id} sign"),
        }
        .to_string()
    );

    suite.set_key_policy(&alice, key_id, Some(owners(2))).unwrap();
    remove_owner(&mut suite, &alice, &carol);
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    let request = suite.query_request(id);
    assert!(!request.owners.contains(&carol));
    suite.assert_refused(
        &carol,
        &ExecuteMsg::Approve { request_id: id },
        &[],
        ContractError::Lifecycle(LifecycleError::NotApprover { id, sender: carol.clone() }),
    );
}

/// Attack 3: the host accepts the high-S twin of a valid ECDSA signature; the contract refuses
/// it, so no request is fulfilled with a malleable signature.
#[test]
fn high_s_ecdsa_signature_is_refused() {
    let mut suite = Suite::with_policy(None);
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let (alice, p1) = (suite.alice.clone(), suite.parties[0].clone());
    let id = suite.request(&alice, key_id, vec![hash(1), hash(2)]);
    let low = suite.sign_item(KeyType::EcdsaSecp256k1, &hash(2));
    let low_sig = k256::ecdsa::Signature::from_slice(&low).unwrap();
    let (r, s) = low_sig.split_scalars();
    let high = k256::ecdsa::Signature::from_scalars(r.to_bytes(), (-*s).to_bytes()).unwrap();
    let high = Binary::from(high.to_bytes().to_vec());
    // The host's verification takes it.
    assert!(suite
        .app
        .api()
        .secp256k1_verify(&hash(2), &high, &suite.public_key(KeyType::EcdsaSecp256k1))
        .unwrap());
    let first = suite.sign_item(KeyType::EcdsaSecp256k1, &hash(1));
    // Each with the id that recovers the key: the high-S twin's is the low-S one's flipped.
    let public_key = suite.public_key(KeyType::EcdsaSecp256k1);
    let low_id = mpc_testing::keys::ecdsa_recovery_id(&public_key, &hash(2), &low);
    let ids = vec![mpc_testing::keys::ecdsa_recovery_id(&public_key, &hash(1), &first), low_id ^ 1];
    assert_eq!(
        suite.app.api().secp256k1_recover_pubkey(&hash(2), &high, low_id ^ 1).unwrap(),
        suite.app.api().secp256k1_recover_pubkey(&hash(2), &low, low_id).unwrap(),
    );
    suite.assert_refused(
        &p1,
        &ExecuteMsg::SubmitSignatureResult {
            request_id: id,
            result: SignResult::Success { signatures: vec![first, high], recovery_ids: ids },
        },
        &[],
        ContractError::HighS { index: 1 },
    );
}

/// The low-S rule agrees with k256's own, over many signatures.
#[test]
fn low_s_check_agrees_with_k256() {
    let suite = Suite::with_policy(None);
    for seed in 0..64u64 {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let signature: k256::ecdsa::Signature =
            suite.ecdsa.sign_prehash_with_rng(&mut rng, &hash(seed as u8)).unwrap();
        let low = signature.normalize_s().is_none();
        assert_eq!(is_low_s(&signature.to_bytes()), low);
        let normal = signature.normalize_s().unwrap_or(signature);
        assert!(is_low_s(&normal.to_bytes()));
    }
}

/// Attack 4: two different valid answers fulfilled a request together. The threshold counts
/// parties that submitted the same signature bytes; the first set to reach it wins, and only
/// its parties are paid.
#[test]
fn parties_must_submit_the_same_signature() {
    let mut suite = Suite::with_policy(None);
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let alice = suite.alice.clone();
    let parties = suite.parties.clone();
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    let a = suite.sign_item(KeyType::EcdsaSecp256k1, &hash(1));
    let b = other_ecdsa_signature(&suite, &hash(1), 1);
    assert_ne!(a, b);

    suite.submit(&parties[0], id, one(&suite, &hash(1), a.clone())).unwrap();
    suite.submit(&parties[1], id, one(&suite, &hash(1), b)).unwrap();
    assert_eq!(suite.query_request(id).status, SignRequestStatus::Pending);
    suite.submit(&parties[2], id, one(&suite, &hash(1), a.clone())).unwrap();
    let request = suite.query_request(id);
    assert_eq!(request.status, SignRequestStatus::Fulfilled);
    assert_eq!(request.signatures, Some(vec![a]));
    // The fee goes to the two parties whose answer is the result.
    assert_eq!(suite.balance(&parties[0], DENOM), FEE - FEE / 2);
    assert_eq!(suite.balance(&parties[1], DENOM), 0);
    assert_eq!(suite.balance(&parties[2], DENOM), FEE / 2);
}

/// When no signature set can reach the threshold any more, the request is rejected and refunded.
#[test]
fn disagreeing_signatures_that_cannot_reach_the_threshold_reject() {
    let mut suite = Suite::with_policy(None);
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let alice = suite.alice.clone();
    let parties = suite.parties.clone();
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    for (i, party) in parties.iter().enumerate() {
        let signature = other_ecdsa_signature(&suite, &hash(1), 10 + i as u64);
        suite.submit(party, id, one(&suite, &hash(1), signature)).unwrap();
    }
    let request = suite.query_request(id);
    assert_eq!(request.status, SignRequestStatus::Rejected);
    assert_eq!(
        request.reject_reason.as_deref(),
        Some("party threshold 2 can no longer be met: 0 parties unanswered, largest agreement 1")
    );
    assert_eq!(suite.balance(&alice, DENOM), START_BALANCE);
}

/// Attack 6: `any_of{2, [alice, any_of{1, [alice]}, bob]}` let alice's one approval count twice;
/// the workspace refuses to store it.
#[test]
fn an_approver_nested_twice_cannot_count_twice() {
    let mut suite = Suite::with_policy(None);
    let (alice, bob) = (suite.alice.clone(), suite.bob.clone());
    let nested = Policy::AnyOf {
        threshold: 2,
        of: vec![
            Policy::Approver(alice.to_string()),
            Policy::AnyOf { threshold: 1, of: vec![Policy::Approver(alice.to_string())] },
            Policy::Approver(bob.to_string()),
        ],
    };
    for action in [
        AdminAction::SetSignPolicy { policy: Some(nested.clone()) },
        AdminAction::SetAdminPolicy { policy: Some(nested.clone()) },
        AdminAction::SetKeyPolicy { key_id: 1, policy: Some(nested.clone()) },
    ] {
        let err = suite.admin_action(&alice, action).unwrap_err();
        assert_eq!(
            contract_error(&err),
            mpc_workspace::ContractError::Policy(PolicyError::DuplicateApprover {
                address: alice.to_string()
            })
            .to_string()
        );
    }
}

/// Attack 7: funds sent with Approve, Reject, SubmitSignatureResult or Expire stayed in the
/// contract for good.
#[test]
fn messages_without_a_fee_refuse_funds() {
    let mut suite = Suite::with_policy(Some(owners(2)));
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let (alice, bob) = (suite.alice.clone(), suite.bob.clone());
    let partial = suite.request(&alice, key_id, vec![hash(1)]);
    let pending = suite.request(&alice, key_id, vec![hash(2)]);
    suite.approve(&bob, pending).unwrap();
    let p1 = suite.parties[0].clone();
    let funded = p1.clone();
    suite.app.init_modules(|router, _, storage| {
        router.bank.init_balance(storage, &funded, vec![coin(100, DENOM)]).unwrap()
    });
    let signed = suite.sign(pending);
    let funds = [coin(7, DENOM)];
    let refused = || ContractError::Payment(PaymentError::NonPayable {});
    suite.assert_refused(&bob, &ExecuteMsg::Approve { request_id: partial }, &funds, refused());
    suite.assert_refused(&bob, &ExecuteMsg::Reject { request_id: partial }, &funds, refused());
    suite.assert_refused(
        &p1,
        &ExecuteMsg::SubmitSignatureResult { request_id: pending, result: signed },
        &funds,
        refused(),
    );
    suite.advance(APPROVAL_TIMEOUT + 1);
    suite.assert_refused(
        &alice,
        &ExecuteMsg::Expire { request_ids: vec![partial] },
        &funds,
        refused(),
    );
}

/// Attack 9: a removed owner's approval of an open request stops counting, and they cannot vote
/// on requests opened before their removal.
#[test]
fn removed_owner_approval_stops_counting_on_open_requests() {
    let mut suite = Suite::with_policy(Some(owners(2)));
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let (alice, bob, carol) = (suite.alice.clone(), suite.bob.clone(), suite.carol.clone());
    let by_alice = suite.request(&alice, key_id, vec![hash(1)]);
    let by_bob = suite.request(&bob, key_id, vec![hash(2)]);
    remove_owner(&mut suite, &bob, &alice);

    suite.assert_refused(
        &alice,
        &ExecuteMsg::Approve { request_id: by_bob },
        &[],
        ContractError::Lifecycle(LifecycleError::NotApprover { id: by_bob, sender: alice.clone() }),
    );
    // Alice's approval (at her request) stops counting, and her request can no longer turn
    // pending (issue 23): the next vote rejects it and refunds her fee.
    let alice_before = suite.balance(&alice, DENOM);
    suite.approve(&carol, by_alice).unwrap();
    assert_eq!(suite.query_request(by_alice).status, SignRequestStatus::Rejected);
    assert_eq!(suite.balance(&alice, DENOM), alice_before + FEE);
    // bob's own request goes on without her.
    suite.approve(&carol, by_bob).unwrap();
    assert_eq!(suite.query_request(by_bob).status, SignRequestStatus::Pending);
}

/// Attack 9: a tightened sign policy governs the requests still waiting for approvals.
#[test]
fn tightened_sign_policy_governs_open_requests() {
    let mut suite = Suite::with_policy(Some(owners(2)));
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let (alice, bob, carol) = (suite.alice.clone(), suite.bob.clone(), suite.carol.clone());
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    suite.admin_action(&alice, AdminAction::SetSignPolicy { policy: Some(owners(3)) }).unwrap();
    suite.approve(&bob, id).unwrap();
    assert_eq!(suite.query_request(id).status, SignRequestStatus::Partial);
    assert_eq!(suite.query_request(id).policy, owners(3));
    suite.approve(&carol, id).unwrap();
    assert_eq!(suite.query_request(id).status, SignRequestStatus::Pending);
}

/// Workspace and key policies each rule their own requests, read at every vote.
#[test]
fn a_key_policy_set_while_a_request_is_open_applies_at_the_next_vote() {
    let mut suite = Suite::with_policy(Some(owners(2)));
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    let (alice, bob, carol) = (suite.alice.clone(), suite.bob.clone(), suite.carol.clone());
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    suite.set_key_policy(&alice, key_id, Some(Policy::Approver(carol.to_string()))).unwrap();
    suite.assert_refused(
        &bob,
        &ExecuteMsg::Approve { request_id: id },
        &[],
        ContractError::Lifecycle(LifecycleError::NotApprover { id, sender: bob.clone() }),
    );
    suite.approve(&carol, id).unwrap();
    assert_eq!(suite.query_request(id).status, SignRequestStatus::Pending);
}
