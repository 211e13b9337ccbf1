//! The devnet walk, as `scripts/devnet.sh` runs it: a key by DKG, a signature request that waits
//! for the second owner, threshold signing, every party's answer, `fulfilled`, and signatures
//! that verify against the key.

mod common;

use mpc_devnet::{walk, WalkOptions};
use mpc_interfaces::signature_requests::{SignRequestStatus, SignResult};
use mpc_interfaces::KeyType;

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
    assert_eq!(report.keys[0].key_type, key_type);
    assert_eq!(report.fulfilled.len(), 2);
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
