//! Payload requests (`RequestPayloadSignature`): the contract hashes each payload into the item
//! signed, stores the payloads with the request, and refuses what does not fit.

use cosmwasm_std::{Binary, HexBinary};
use mpc_interfaces::signature_requests::{ExecuteMsg, Payload, SignRequestStatus};
use mpc_interfaces::{HashKind, KeyType};
use mpc_payloads::{MAX_PAYLOADS_LEN, MAX_PAYLOAD_LEN};
use mpc_signature_requests::ContractError;

use crate::suite::*;

/// The EIP's own example (EIP-712, "Example"): the `Mail` typed data and its signing hash.
pub const EIP712_MAIL: &str = r#"{"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"version","type":"string"},{"name":"chainId","type":"uint256"},{"name":"verifyingContract","type":"address"}],"Person":[{"name":"name","type":"string"},{"name":"wallet","type":"address"}],"Mail":[{"name":"from","type":"Person"},{"name":"to","type":"Person"},{"name":"contents","type":"string"}]},"primaryType":"Mail","domain":{"name":"Ether Mail","version":"1","chainId":1,"verifyingContract":"0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},"message":{"from":{"name":"Cow","wallet":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},"to":{"name":"Bob","wallet":"0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},"contents":"Hello, Bob!"}}"#;
pub const EIP712_MAIL_DIGEST: &str =
    "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2";

fn payload(hash: HashKind, data: &[u8]) -> Payload {
    Payload { hash, data: Binary::from(data.to_vec()), digest: None }
}

fn hex(digest: &str) -> Binary {
    Binary::from(HexBinary::from_hex(digest).unwrap().to_vec())
}

fn payload_msg(key_id: u64, payloads: Vec<Payload>) -> ExecuteMsg {
    ExecuteMsg::request_payload_signature(key_id, payloads)
}

/// A suite with the default policy and an ECDSA key: (suite, key id).
fn ecdsa_suite() -> (Suite, u64) {
    let mut suite = Suite::with_policy(None);
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    (suite, key_id)
}

/// Each hash function's digest, with a published vector for the ones that have one: what the
/// request signs, its payloads returned as given, the hash kinds on its `created` event.
#[test]
fn each_payload_is_hashed_into_the_item_signed() {
    let (mut suite, key_id) = ecdsa_suite();
    let alice = suite.alice.clone();
    let mail = Payload {
        hash: HashKind::Eip712,
        data: Binary::from(EIP712_MAIL.as_bytes().to_vec()),
        digest: Some(hex(EIP712_MAIL_DIGEST)),
    };
    let sign_doc = [0x0a, 0x03, 0x61, 0x62, 0x63];
    let payloads = vec![
        payload(HashKind::Keccak256, b""),
        payload(HashKind::Sha256, b"abc"),
        payload(HashKind::Sha256d, b"hello"),
        payload(HashKind::Eip191, b"Hello World"),
        mail,
        payload(HashKind::CosmosSignDoc, &sign_doc),
    ];
    let res = suite.execute(&alice, &payload_msg(key_id, payloads.clone()), &Suite::fee()).unwrap();
    let created = request_events(&res)[0];
    assert_eq!(attr_value(created, "action"), "created");
    assert_eq!(
        attr_values(created, "hash"),
        ["keccak256", "sha256", "sha256d", "eip191", "eip712", "cosmos_sign_doc"]
    );
    let id: u64 = attr_value(created, "request_id").parse().unwrap();
    let request = suite.query_request(id);
    assert_eq!(request.payloads, Some(payloads));
    assert_eq!(
        request.items,
        vec![
            // keccak256(""), as every Ethereum library knows it.
            hex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
            // FIPS 180-2's "abc".
            hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            // Bitcoin's double SHA-256 of "hello" (the Bitcoin wiki's example).
            hex("9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50"),
            // ethers' hashMessage("Hello World").
            hex("a1de988600a42c4b4ab089b619297c17d53cffae5d5120d82d8a92d0bb3b78f2"),
            // The EIP's own digest, as given.
            hex(EIP712_MAIL_DIGEST),
            // sha256 of the SignDoc's bytes.
            Binary::from(mpc_payloads::digest(HashKind::Sha256, &sign_doc).unwrap().to_vec()),
        ]
    );

    // Signed as any request: the parties sign the digests, with their recovery ids.
    let parties = suite.parties.clone();
    let good = suite.sign(id);
    suite.submit(&parties[0], id, good.clone()).unwrap();
    suite.submit(&parties[1], id, good).unwrap();
    let request = suite.query_request(id);
    assert_eq!(request.status, SignRequestStatus::Fulfilled);
    assert_eq!(request.recovery_ids.as_ref().map(Vec::len), Some(6));
}

/// A plain request has no payloads (blind signing of the hashes given).
#[test]
fn a_request_of_items_has_no_payloads() {
    let (mut suite, key_id) = ecdsa_suite();
    let alice = suite.alice.clone();
    let id = suite.request(&alice, key_id, vec![hash(1)]);
    assert_eq!(suite.query_request(id).payloads, None);
}

#[test]
fn payload_refusals() {
    let (mut suite, key_id) = ecdsa_suite();
    let alice = suite.alice.clone();
    let fee = Suite::fee();
    let refused = |suite: &mut Suite, payloads: Vec<Payload>, expected: ContractError| {
        suite.assert_refused(&alice, &payload_msg(key_id, payloads), &fee, expected);
    };

    refused(&mut suite, vec![], ContractError::NoItems);
    refused(
        &mut suite,
        vec![payload(HashKind::Sha256, b"x"); 17],
        ContractError::TooManyItems { count: 17, max: 16 },
    );
    // The limits, each named in the refusal.
    let over = vec![0u8; MAX_PAYLOAD_LEN + 1];
    refused(
        &mut suite,
        vec![payload(HashKind::Sha256, b"x"), payload(HashKind::Keccak256, &over)],
        ContractError::PayloadTooLong { index: 1, len: MAX_PAYLOAD_LEN + 1, max: MAX_PAYLOAD_LEN },
    );
    let full = vec![0u8; MAX_PAYLOAD_LEN];
    refused(
        &mut suite,
        vec![
            payload(HashKind::Keccak256, &full),
            payload(HashKind::Keccak256, &full),
            payload(HashKind::Keccak256, b"x"),
        ],
        ContractError::PayloadsTooLong { total: MAX_PAYLOADS_LEN + 1, max: MAX_PAYLOADS_LEN },
    );
    let message =
        ContractError::PayloadTooLong { index: 0, len: 8193, max: MAX_PAYLOAD_LEN }.to_string();
    assert!(message.contains("MAX_PAYLOAD_LEN") && message.contains("8192"), "{message}");
    let message = ContractError::PayloadsTooLong { total: 16385, max: 16384 }.to_string();
    assert!(message.contains("MAX_PAYLOADS_LEN") && message.contains("16384"), "{message}");

    // EIP-712: the digest given, 32 bytes; none for the others.
    let typed = |digest: Option<Binary>| Payload {
        hash: HashKind::Eip712,
        data: Binary::from(EIP712_MAIL.as_bytes().to_vec()),
        digest,
    };
    refused(&mut suite, vec![typed(None)], ContractError::Eip712NeedsDigest { index: 0 });
    refused(
        &mut suite,
        vec![typed(Some(Binary::from(vec![1u8; 31])))],
        ContractError::Eip712NeedsDigest { index: 0 },
    );
    refused(
        &mut suite,
        vec![
            payload(HashKind::Eip191, b"hi"),
            Payload { digest: Some(hash(1)), ..payload(HashKind::Keccak256, b"x") },
        ],
        ContractError::DigestNotExpected { index: 1, hash: HashKind::Keccak256 },
    );

    // An EdDSA key signs messages, not payloads.
    let ed_key = suite.create_key(KeyType::EddsaEd25519, None);
    suite.assert_refused(
        &alice,
        &payload_msg(ed_key, vec![payload(HashKind::Sha256, b"x")]),
        &fee,
        ContractError::PayloadNeedsEcdsaKey { key_type: KeyType::EddsaEd25519 },
    );
}

/// The largest request the limits allow is taken (16 payloads, 16,384 bytes in all).
#[test]
fn payloads_up_to_the_limits_are_taken() {
    let (mut suite, key_id) = ecdsa_suite();
    let alice = suite.alice.clone();
    let each = MAX_PAYLOADS_LEN / 16;
    let payloads = vec![payload(HashKind::Keccak256, &vec![7u8; each]); 16];
    let res = suite.execute(&alice, &payload_msg(key_id, payloads.clone()), &Suite::fee()).unwrap();
    let id: u64 = attr_value(request_events(&res)[0], "request_id").parse().unwrap();
    let request = suite.query_request(id);
    assert_eq!(request.payloads, Some(payloads));
    assert_eq!(request.items.len(), 16);
    let one = vec![0u8; MAX_PAYLOAD_LEN];
    suite
        .execute(
            &alice,
            &payload_msg(key_id, vec![payload(HashKind::Sha256d, &one)]),
            &Suite::fee(),
        )
        .unwrap();
}
