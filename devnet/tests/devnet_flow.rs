//! The devnet walk, as `scripts/devnet.sh` runs it: a key by DKG, a signature request that waits
//! for the second owner, threshold signing, every party's answer, `fulfilled`, and signatures
//! that verify against the key.

mod common;

use mpc_devnet::{walk, WalkOptions, COSMOS_PREFIX};
use mpc_interfaces::signature_requests::{SignRequestStatus, SignResult};
use mpc_interfaces::KeyType;
use mpc_payloads::{bitcoin_p2wpkh, cosmos_address, solana_address, BitcoinNetwork};

async fn walk_with(key_type: KeyType) {
    let (_guard, devnet) = common::devnet(3, 2).await;
    let report = walk(
        &devnet,
        &WalkOptions {
            key_types: vec![key_type],
            requests: 2,
        },
        &common::print,
    )
    .await
    .unwrap();
    assert_eq!(report.keys.len(), 1);
    let key = &report.keys[0];
    assert_eq!(key.key_type, key_type);
    // The addresses shown are the key's: derived here from its public key.
    let addresses = &key.addresses;
    assert_eq!(addresses.key_id, key.key_id);
    match key_type {
        KeyType::EcdsaSecp256k1 => {
            let compressed: [u8; 33] = key.public_key.as_slice().try_into().unwrap();
            assert_eq!(
                addresses.cosmos.as_deref(),
                Some(cosmos_address(COSMOS_PREFIX, &compressed).unwrap().as_str())
            );
            let bitcoin = addresses.bitcoin.as_ref().unwrap();
            assert_eq!(
                bitcoin.mainnet,
                bitcoin_p2wpkh(BitcoinNetwork::Mainnet, &compressed)
            );
            let evm = addresses.evm.as_deref().unwrap();
            assert!(evm.len() == 42 && evm.starts_with("0x"), "{evm}");
            assert_eq!(addresses.solana, None);
        }
        KeyType::EddsaEd25519 => {
            let point: [u8; 32] = key.public_key.as_slice().try_into().unwrap();
            assert_eq!(addresses.solana, Some(solana_address(&point)));
            assert_eq!((&addresses.evm, &addresses.cosmos), (&None, &None));
        }
    }
    // Two raw requests; for a secp256k1 key, an EIP-191 payload request too.
    let payload_requests = usize::from(key_type == KeyType::EcdsaSecp256k1);
    assert_eq!(report.fulfilled.len(), 2 + payload_requests);
    let with_payloads = report
        .fulfilled
        .iter()
        .filter(|o| o.request.payloads.is_some())
        .count();
    assert_eq!(with_payloads, payload_requests);
    for outcome in &report.fulfilled {
        let request = &outcome.request;
        assert_eq!(request.status, SignRequestStatus::Fulfilled);
        // Both owners approved: the 2-of-2 policy was satisfied.
        assert_eq!(request.approvals.len(), 2);
        // At least the threshold of parties answered, each with the final signatures.
        let successes: Vec<_> = request
            .answers
            .iter()
            .filter_map(|a| match &a.result {
                SignResult::Success { signatures, .. } => Some(signatures.clone()),
                SignResult::Failure { .. } => None,
            })
            .collect();
        assert!(successes.len() >= 2, "{successes:?}");
        assert!(successes
            .iter()
            .all(|s| Some(s) == request.signatures.as_ref()));
        // The signature verifies against the key, checked here independently of the connector.
        devnet.check_signatures(&report.keys[0], request).unwrap();
    }
    // No party answered any request twice.
    for count in devnet.message_counts().await.unwrap() {
        if count.message == "submit_signature_result" {
            assert!(count.committed <= 1, "{count:?}");
        }
    }
    devnet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecdsa_requests_are_fulfilled_with_verified_signatures() {
    walk_with(KeyType::EcdsaSecp256k1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eddsa_requests_are_fulfilled_with_verified_signatures() {
    walk_with(KeyType::EddsaEd25519).await;
}
