//! Parties answering key requests: the key comes about, is rejected, and every refusal.

mod common;

use common::*;
use cosmwasm_std::{coin, Binary};
use mpc_contract_kit::contract::TooLong;
use mpc_contract_kit::lifecycle::LifecycleError;
use mpc_interfaces::keyring::{
    ExecuteMsg, FeeResponse, KeyRequestStatus, KeyResult, QueryMsg, MAX_REASON_LEN,
};
use mpc_interfaces::KeyType;
use mpc_keyring::ContractError;

#[test]
fn the_same_key_from_every_party_creates_it_and_pays_them() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let request_id = suite.request_key(keyring_id, KeyType::EcdsaSecp256k1);
    let [p1, p2, p3] = [0, 1, 2].map(|i| suite.parties[i].clone());
    let public_key = ecdsa_public_key(7);

    let res = suite.submit(&p1, request_id, success(&public_key)).unwrap();
    assert_eq!(actions(&res, "wasm-key_request"), vec!["party_result"]);
    assert_eq!(attribute(&res, "wasm-key_request", "party"), p1.to_string());
    assert_eq!(suite.request(request_id).status, KeyRequestStatus::Pending);
    assert_eq!(suite.balance(&p1, DENOM), 0);
    // Two of three is the signing threshold, not a key: the third share is not confirmed.
    suite.submit(&p2, request_id, success(&public_key)).unwrap();
    assert_eq!(suite.request(request_id).status, KeyRequestStatus::Pending);

    let height = suite.height();
    let res = suite.submit(&p3, request_id, success(&public_key)).unwrap();
    assert_eq!(actions(&res, "wasm-key_request"), vec!["party_result", "fulfilled"]);
    assert_eq!(actions(&res, "wasm-key"), vec!["created"]);
    assert_eq!(attribute(&res, "wasm-key", "key_id"), "1");
    // Base64, as the `Key` query returns it.
    assert_eq!(attribute(&res, "wasm-key", "public_key"), public_key.to_base64());

    let request = suite.request(request_id);
    assert_eq!(request.status, KeyRequestStatus::Fulfilled);
    assert_eq!(request.key_id, Some(1));
    assert_eq!(request.answers.len(), 3);

    let key = suite.key(1);
    assert_eq!(key.public_key, public_key);
    assert_eq!(key.key_type, KeyType::EcdsaSecp256k1);
    assert_eq!(key.parties, suite.parties);
    assert_eq!(key.party_threshold, 2);
    assert_eq!(key.workspace_id, 1);
    assert_eq!(key.keyring_id, keyring_id);
    assert_eq!(key.request_id, request_id);
    assert_eq!(key.created_height, height);

    // The fee went to the three parties (1000 / 3: the first took the remainder).
    assert_eq!(suite.balance(&p1, DENOM), 334);
    assert_eq!(suite.balance(&p2, DENOM), 333);
    assert_eq!(suite.balance(&p3, DENOM), 333);
    assert_eq!(suite.balance(&suite.keyring, DENOM), 0);

    // A final request takes no more answers.
    suite.assert_refused(
        &p3,
        &ExecuteMsg::SubmitKeyResult { request_id, result: success(&public_key) },
        &[],
        ContractError::Lifecycle(LifecycleError::Closed {
            id: request_id,
            status: KeyRequestStatus::Fulfilled,
        }),
    );
}

#[test]
fn eddsa_key_with_uneven_fee_gives_remainder_to_first_answer() {
    let mut suite = Suite::new();
    let owner = suite.owner.clone();
    suite.create_keyring_with(3, vec![coin(1_001, DENOM), coin(2, OTHER_DENOM)]);
    let msg = suite.request_key_msg(1, KeyType::EddsaEd25519);
    suite.execute(&owner, &msg, &[coin(1_001, DENOM), coin(2, OTHER_DENOM)]).unwrap();
    let public_key = eddsa_public_key(3);
    // Answer order: party3 first, so party3 gets the remainders.
    for i in [2, 0, 1] {
        let party = suite.parties[i].clone();
        suite.submit(&party, 1, success(&public_key)).unwrap();
    }
    assert_eq!(suite.request(1).status, KeyRequestStatus::Fulfilled);
    assert_eq!(suite.key(1).key_type, KeyType::EddsaEd25519);
    let [p1, p2, p3] = [0, 1, 2].map(|i| suite.parties[i].clone());
    assert_eq!(suite.balance(&p3, DENOM), 335);
    assert_eq!(suite.balance(&p1, DENOM), 333);
    assert_eq!(suite.balance(&p2, DENOM), 333);
    // 2 / 3 is 0 each: the whole of it is the first party's remainder.
    assert_eq!(suite.balance(&p3, OTHER_DENOM), 2);
    assert_eq!(suite.balance(&p1, OTHER_DENOM), 0);
    assert_eq!(suite.balance(&suite.keyring, DENOM), 0);
    assert_eq!(suite.balance(&suite.keyring, OTHER_DENOM), 0);
}

/// A party stopped in the DKG's last round holds no share: it answers a failure (or nothing),
/// and the key is not made on the others' answers, which would leave it short of a share.
#[test]
fn one_failure_rejects_a_key_request_and_refunds() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let request_id = suite.request_key(keyring_id, KeyType::EcdsaSecp256k1);
    let owner = suite.owner.clone();
    let [p1, p2, p3] = [0, 1, 2].map(|i| suite.parties[i].clone());
    assert_eq!(suite.balance(&owner, DENOM), START_BALANCE - KEY_FEE);

    suite.submit(&p1, request_id, success(&ecdsa_public_key(9))).unwrap();
    let res = suite.submit(&p2, request_id, failure("no share stored")).unwrap();
    assert_eq!(actions(&res, "wasm-key_request"), vec!["party_result", "rejected"]);
    let request = suite.request(request_id);
    assert_eq!(request.status, KeyRequestStatus::Rejected);
    assert!(request.reject_reason.unwrap().contains("every one of the 3 parties"));
    assert_eq!(suite.balance(&owner, DENOM), START_BALANCE);
    assert_eq!(suite.balance(&suite.keyring, DENOM), 0);

    suite.assert_refused(
        &p3,
        &ExecuteMsg::SubmitKeyResult { request_id, result: success(&ecdsa_public_key(9)) },
        &[],
        ContractError::Lifecycle(LifecycleError::Closed {
            id: request_id,
            status: KeyRequestStatus::Rejected,
        }),
    );
}

#[test]
fn a_different_key_from_one_party_rejects_the_request() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let [p1, p2] = [0, 1].map(|i| suite.parties[i].clone());
    let request_id = suite.request_key(keyring_id, KeyType::EcdsaSecp256k1);
    suite.submit(&p1, request_id, success(&ecdsa_public_key(1))).unwrap();
    suite.submit(&p2, request_id, success(&ecdsa_public_key(2))).unwrap();
    assert_eq!(suite.request(request_id).status, KeyRequestStatus::Rejected);
    assert_eq!(suite.balance(&p1, DENOM), 0);
    assert_eq!(suite.balance(&suite.keyring, DENOM), 0);
}

#[test]
fn submit_refusals() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let request_id = suite.request_key(keyring_id, KeyType::EcdsaSecp256k1);
    let stranger = suite.stranger.clone();
    let owner = suite.owner.clone();
    let p1 = suite.parties[0].clone();
    let submit = |result: KeyResult| ExecuteMsg::SubmitKeyResult { request_id, result };
    let good = ecdsa_public_key(5);

    for sender in [&stranger, &owner] {
        suite.assert_refused(
            sender,
            &submit(success(&good)),
            &[],
            ContractError::Lifecycle(LifecycleError::NotParty {
                id: request_id,
                sender: sender.clone(),
            }),
        );
    }
    suite.assert_refused(
        &p1,
        &ExecuteMsg::SubmitKeyResult { request_id: 77, result: success(&good) },
        &[],
        ContractError::KeyRequestNotFound { request_id: 77 },
    );

    // Malformed keys.
    suite.assert_refused(
        &p1,
        &submit(success(&Binary::from(vec![2u8; 32]))),
        &[],
        ContractError::InvalidPublicKeyLength {
            key_type: "ecdsa_secp256k1".to_string(),
            expected: 33,
            actual: 32,
        },
    );
    let mut uncompressed_prefix = good.to_vec();
    uncompressed_prefix[0] = 0x04;
    suite.assert_refused(
        &p1,
        &submit(success(&Binary::from(uncompressed_prefix))),
        &[],
        ContractError::InvalidPublicKeyPrefix { prefix: 0x04 },
    );
    suite.assert_refused(
        &p1,
        &submit(success(&off_curve_ecdsa_key())),
        &[],
        ContractError::PublicKeyNotOnCurve,
    );
    // x = p - 1 + ... all ones is above the field modulus: not a coordinate at all.
    let mut above_modulus = vec![0xffu8; 33];
    above_modulus[0] = 0x03;
    suite.assert_refused(
        &p1,
        &submit(success(&Binary::from(above_modulus))),
        &[],
        ContractError::PublicKeyNotOnCurve,
    );
    suite.assert_refused(
        &p1,
        &submit(failure(&"r".repeat(MAX_REASON_LEN + 1))),
        &[],
        ContractError::TooLong(TooLong {
            field: "reason",
            len: MAX_REASON_LEN + 1,
            max: MAX_REASON_LEN,
        }),
    );
    suite.assert_refused(
        &p1,
        &submit(success(&good)),
        &[coin(1, GAS_DENOM)],
        ContractError::Payment(cw_utils::PaymentError::NonPayable {}),
    );

    // Answered twice, whatever the second answer says.
    suite.submit(&p1, request_id, success(&good)).unwrap();
    for again in [success(&good), failure("changed my mind")] {
        suite.assert_refused(
            &p1,
            &submit(again),
            &[],
            ContractError::Lifecycle(LifecycleError::AlreadyAnswered {
                id: request_id,
                sender: p1.clone(),
            }),
        );
    }

    // Past the deadline the request reads as expired and takes no answers.
    let deadline = suite.request(request_id).deadline_height;
    let p2 = suite.parties[1].clone();
    let to_deadline = deadline - suite.height();
    suite.advance(to_deadline);
    assert_eq!(suite.request(request_id).status, KeyRequestStatus::Pending);
    suite.advance(1);
    assert_eq!(suite.request(request_id).status, KeyRequestStatus::Expired);
    suite.assert_refused(
        &p2,
        &submit(success(&good)),
        &[],
        ContractError::Lifecycle(LifecycleError::Expired { id: request_id }),
    );
}

#[test]
fn eddsa_key_length_is_checked() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let request_id = suite.request_key(keyring_id, KeyType::EddsaEd25519);
    let p1 = suite.parties[0].clone();
    // A secp256k1 key is one byte too long for Ed25519.
    suite.assert_refused(
        &p1,
        &ExecuteMsg::SubmitKeyResult { request_id, result: success(&ecdsa_public_key(1)) },
        &[],
        ContractError::InvalidPublicKeyLength {
            key_type: "eddsa_ed25519".to_string(),
            expected: 32,
            actual: 33,
        },
    );
}

#[test]
fn a_party_removed_after_the_request_still_answers_it() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let request_id = suite.request_key(keyring_id, KeyType::EcdsaSecp256k1);
    let admin = suite.admin.clone();
    let p1 = suite.parties[0].clone();
    suite
        .execute(
            &admin,
            &ExecuteMsg::RemoveParty { keyring_id, party: p1.to_string(), new_threshold: None },
            &[],
        )
        .unwrap();
    let public_key = ecdsa_public_key(4);
    suite.fulfil(request_id, &public_key);
    // The key records the parties of the request, not the keyring's current ones.
    assert_eq!(suite.key(1).parties, suite.parties);
}

/// Attack 5: the identity point (a small-order Ed25519 key) was accepted as a key, and against
/// it `ed25519_verify` accepts R = identity, s = 0 for any message. Small-order points, bytes
/// that are no curve point, and non-canonical encodings are all refused.
#[test]
fn small_order_or_invalid_ed25519_key_is_refused() {
    use cosmwasm_std::testing::MockApi;
    use cosmwasm_std::Api;

    let mut identity = [0u8; 32];
    identity[0] = 1;
    // The attack: with the identity as key, (R = identity, s = 0) verifies any message.
    let mut forged = [0u8; 64];
    forged[..32].copy_from_slice(&identity);
    assert_eq!(MockApi::default().ed25519_verify(b"any message", &forged, &identity), Ok(true));
    // The other point of order 2: y = -1 (p - 1 = 2^255 - 20).
    let mut order_two = [0xffu8; 32];
    order_two[0] = 0xec;
    order_two[31] = 0x7f;
    let not_a_point = non_point_eddsa_key();
    // y = 1 + p is the identity again, encoded non-canonically (y >= p).
    let mut non_canonical = [0xffu8; 32];
    non_canonical[0] = 0xee;
    non_canonical[31] = 0x7f;

    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let request_id = suite.request_key(keyring_id, KeyType::EddsaEd25519);
    let p1 = suite.parties[0].clone();
    for (key, expected) in [
        (identity, ContractError::SmallOrderPublicKey),
        (order_two, ContractError::SmallOrderPublicKey),
        (not_a_point, ContractError::InvalidEd25519PublicKey),
        (non_canonical, ContractError::InvalidEd25519PublicKey),
    ] {
        suite.assert_refused(
            &p1,
            &ExecuteMsg::SubmitKeyResult {
                request_id,
                result: success(&Binary::from(key.to_vec())),
            },
            &[],
            expected,
        );
    }
    // A real key is taken.
    suite
        .execute(
            &p1,
            &ExecuteMsg::SubmitKeyResult { request_id, result: success(&eddsa_public_key(3)) },
            &[],
        )
        .unwrap();
}

/// What a dApp asks before paying: the exact coins of a key request on a keyring and of a
/// signature request with a key, in one query each, following fee updates.
#[test]
fn fee_queries_give_the_exact_coins_to_send() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let fee = |suite: &Suite, msg: QueryMsg| suite.query::<FeeResponse>(&msg).fee;
    assert_eq!(fee(&suite, QueryMsg::KeyRequestFee { keyring_id }), vec![coin(KEY_FEE, DENOM)]);
    let request_id = suite.request_key(keyring_id, KeyType::EcdsaSecp256k1);
    let public_key = ecdsa_public_key(7);
    suite.fulfil(request_id, &public_key);
    assert_eq!(fee(&suite, QueryMsg::SignatureRequestFee { key_id: 1 }), vec![coin(10, DENOM)]);
    suite.update_fees(keyring_id, Some(vec![]), Some(vec![coin(3, OTHER_DENOM)]));
    assert!(fee(&suite, QueryMsg::KeyRequestFee { keyring_id }).is_empty());
    assert_eq!(
        fee(&suite, QueryMsg::SignatureRequestFee { key_id: 1 }),
        vec![coin(3, OTHER_DENOM)]
    );
    assert!(suite.query_err(&QueryMsg::SignatureRequestFee { key_id: 9 }).contains("key 9"));
    assert!(suite.query_err(&QueryMsg::KeyRequestFee { keyring_id: 9 }).contains("keyring 9"));
}

/// A prime-order Ed25519 point plus a point of order 2 passes the small-order check, and the
/// chain's verifier accepts its signatures; cofactorless verifiers elsewhere reject many of them.
#[test]
fn an_ed25519_key_with_a_torsion_component_is_refused() {
    use curve25519_dalek::edwards::CompressedEdwardsY;
    let point = |bytes: &[u8]| CompressedEdwardsY::from_slice(bytes).unwrap().decompress().unwrap();
    // (0, -1), of order 2.
    let mut order_two = [0xffu8; 32];
    order_two[0] = 0xec;
    order_two[31] = 0x7f;
    let honest = eddsa_public_key(3);
    let torsion = (point(&honest) + point(&order_two)).compress().to_bytes();
    assert!(!point(&torsion).is_small_order(), "not caught by the small-order check");

    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let request_id = suite.request_key(keyring_id, KeyType::EddsaEd25519);
    let p1 = suite.parties[0].clone();
    suite.assert_refused(
        &p1,
        &ExecuteMsg::SubmitKeyResult {
            request_id,
            result: success(&Binary::from(torsion.to_vec())),
        },
        &[],
        ContractError::TorsionPublicKey,
    );
    suite.submit(&p1, request_id, success(&honest)).unwrap();
}

/// Issue 23: a public key is one key of the contract. Parties answering another workspace's key
/// request on another keyring with an existing key's public key (a replayed result) are refused
/// answer by answer, nothing changes, and the request stays open for honest answers.
#[test]
fn a_public_key_already_held_by_a_key_of_another_workspace_and_keyring_is_refused() {
    let mut suite = Suite::new();
    let first_keyring = suite.create_default_keyring();
    let held = ecdsa_public_key(7);
    let first = suite.request_key(first_keyring, KeyType::EcdsaSecp256k1);
    suite.fulfil(first, &held);

    let other_keyring = suite.create_default_keyring();
    let stranger = suite.stranger.clone();
    let other_workspace = suite.create_workspace(&stranger, &[], None, None).unwrap();
    suite.fund(&stranger, &[coin(KEY_FEE, DENOM)]);
    let msg = ExecuteMsg::RequestKey {
        workspace_id: other_workspace,
        keyring_id: other_keyring,
        key_type: KeyType::EcdsaSecp256k1,
        timeout_blocks: None,
        max_fee: None,
    };
    suite.execute(&stranger, &msg, &[coin(KEY_FEE, DENOM)]).unwrap();
    let replay = first + 1;
    for party in suite.parties.clone() {
        suite.assert_refused(
            &party,
            &ExecuteMsg::SubmitKeyResult { request_id: replay, result: success(&held) },
            &[],
            ContractError::PublicKeyHeld { key_id: 1 },
        );
    }
    assert_eq!(suite.request(replay).status, KeyRequestStatus::Pending);
    assert!(suite.request(replay).answers.is_empty());
    // Honest answers settle it.
    suite.fulfil(replay, &ecdsa_public_key(8));
    assert_eq!(suite.request(replay).status, KeyRequestStatus::Fulfilled);
    assert_eq!(suite.key(2).workspace_id, other_workspace);
}
