//! The artifacts in artifacts/ as a chain sees them: upload checks, then the seed process run in
//! the real CosmWasm VM with cross-contract queries routed between the three real instances.

use cosmwasm_std::Binary;
use k256::ecdsa::signature::hazmat::PrehashVerifier;
use k256::ecdsa::{Signature, VerifyingKey};
use mpc_interfaces::signature_requests::SignRequestStatus;
use mpc_interfaces::Policy;
use mpc_vm_tests::chain::{CHAIN_CAPABILITIES, OLDEST_CHAIN_CAPABILITIES};
use mpc_vm_tests::suite::{compressed_public_key, sign_hash, test_key, Suite};
use mpc_vm_tests::{read_artifact, Chain, CONTRACTS};
use sha2::{Digest, Sha256};

#[test]
fn every_artifact_passes_the_chain_upload_checks() {
    let chain = Chain::new();
    let offered: Vec<&str> = CHAIN_CAPABILITIES.split(',').collect();
    for stem in CONTRACTS {
        let checksum = chain
            .store_code(&read_artifact(stem))
            .unwrap_or_else(|e| panic!("{stem}.wasm is refused on upload: {e}"));
        let report = chain.analyze(&checksum).expect("analysis");
        let entry_points: Vec<String> = report.entrypoints.iter().map(|e| e.to_string()).collect();
        for required in ["instantiate", "execute", "query", "migrate"] {
            assert!(
                entry_points.iter().any(|e| e == required),
                "{stem}.wasm does not export {required}: {entry_points:?}"
            );
        }
        for capability in &report.required_capabilities {
            assert!(
                offered.contains(&capability.as_str()),
                "{stem}.wasm needs {capability}, which wasmd 0.61 does not offer"
            );
        }
    }
}

/// The artifacts ask for no `cosmwasm_*` capability, so a chain with wasmvm 2.0 (wasmd 0.51)
/// accepts them: uploaded there, they pass every check, and they run the seed process.
#[test]
fn artifacts_load_on_the_oldest_supported_chain() {
    let chain = Chain::with_capabilities(OLDEST_CHAIN_CAPABILITIES);
    for stem in CONTRACTS {
        let checksum = chain
            .store_code(&read_artifact(stem))
            .unwrap_or_else(|e| panic!("{stem}.wasm is refused by wasmvm 2.0: {e}"));
        let report = chain.analyze(&checksum).expect("analysis");
        let required: Vec<String> = report.required_capabilities.into_iter().collect();
        assert_eq!(required, vec!["iterator".to_string()], "{stem}.wasm");
    }
    let suite = Suite::deploy_on(chain);
    let (_, key_id) = suite.key_ready(None, &test_key(1));
    let (request_id, _) = suite
        .request_signature(key_id, vec![Binary::from(Sha256::digest(b"x").to_vec())])
        .expect("request");
    assert_eq!(
        suite.signature_request(request_id).status,
        SignRequestStatus::Pending
    );
}

#[test]
fn checksums_file_matches_the_artifacts() {
    let listed = std::fs::read_to_string(mpc_vm_tests::artifacts_dir().join("checksums.txt"))
        .expect("artifacts/checksums.txt");
    for stem in CONTRACTS {
        let file = format!("{stem}.wasm");
        let digest = hex::encode(Sha256::digest(read_artifact(stem)));
        assert!(
            listed
                .lines()
                .any(|line| line == format!("{digest}  {file}")),
            "checksums.txt has no line `{digest}  {file}`"
        );
    }
}

/// A minimal module that passes every structural upload check (one memory, the marker and
/// allocator exports) and whose only function body uses `memory.copy`.
fn module_with_memory_copy() -> Vec<u8> {
    fn section(id: u8, content: &[u8]) -> Vec<u8> {
        assert!(content.len() < 128, "one-byte LEB128 length");
        [&[id, content.len() as u8][..], content].concat()
    }
    fn export(name: &str, kind: u8) -> Vec<u8> {
        [&[name.len() as u8][..], name.as_bytes(), &[kind, 0x00]].concat()
    }
    let mut exports = vec![4u8];
    for (name, kind) in [
        ("interface_version_8", 0x00),
        ("allocate", 0x00),
        ("deallocate", 0x00),
        ("memory", 0x02),
    ] {
        exports.extend(export(name, kind));
    }
    let body: &[u8] = &[
        0x00, // no locals
        0x41, 0x00, 0x41, 0x00, 0x41, 0x00, // i32.const 0 (x3)
        0xfc, 0x0a, 0x00, 0x00, // memory.copy
        0x0b, // end
    ];
    let code = [&[0x01, body.len() as u8][..], body].concat();
    [
        &b"\0asm\x01\0\0\0"[..],
        &section(0x01, &[0x01, 0x60, 0x00, 0x00]), // type: () -> ()
        &section(0x03, &[0x01, 0x00]),             // one function of that type
        &section(0x05, &[0x01, 0x00, 0x01]),       // one memory of one page
        &section(0x07, &exports),
        &section(0x0a, &code),
    ]
    .concat()
}

/// The gate is not vacuous: a module with a bulk-memory instruction (what Rust 1.95 emits without
/// the lowering) is refused, as wasmd would refuse it.
#[test]
fn upload_checks_refuse_bulk_memory() {
    let err = Chain::new()
        .store_code(&module_with_memory_copy())
        .unwrap_err()
        .to_string();
    assert!(err.contains("bulk memory"), "unexpected refusal: {err}");
}

#[test]
fn seed_process_fulfils_a_request_in_the_vm() {
    let suite = Suite::deploy();
    let secret = test_key(1);
    // Both owners must agree: the requester's own approval counts, one more is needed.
    let policy = Policy::Owners { threshold: Some(2) };
    let (_keyring_id, key_id) = suite.key_ready(Some(policy), &secret);
    let key: mpc_interfaces::keyring::KeyResponse = suite
        .chain
        .query(
            &suite.keyring,
            &mpc_interfaces::keyring::QueryMsg::Key { key_id },
        )
        .expect("key query");
    assert_eq!(key.public_key.as_slice(), compressed_public_key(&secret));

    let hashes: Vec<Binary> = [b"transfer 10 to bob".as_slice(), b"transfer 3 to carol"]
        .iter()
        .map(|payload| Binary::from(Sha256::digest(payload).to_vec()))
        .collect();
    let (request_id, _) = suite
        .request_signature(key_id, hashes.clone())
        .expect("request");
    assert_eq!(
        suite.signature_request(request_id).status,
        SignRequestStatus::Partial
    );

    suite
        .approve(&suite.owners[1], request_id)
        .expect("approval");
    assert_eq!(
        suite.signature_request(request_id).status,
        SignRequestStatus::Pending
    );

    let signatures: Vec<Binary> = hashes.iter().map(|h| sign_hash(&secret, h)).collect();

    // A party answering with a signature by another key is refused, and nothing is recorded.
    let before = suite.chain.store_snapshot(&suite.signatures);
    let forged: Vec<Binary> = hashes.iter().map(|h| sign_hash(&test_key(2), h)).collect();
    let refusal = suite
        .submit_signatures(&suite.parties[2], request_id, forged)
        .expect_err("a signature by another key is refused");
    assert!(
        refusal.contract_error().is_some(),
        "refused by the contract: {refusal}"
    );
    assert_eq!(suite.chain.store_snapshot(&suite.signatures), before);

    suite
        .submit_signatures(&suite.parties[0], request_id, signatures.clone())
        .expect("first party result");
    let after_one = suite.signature_request(request_id);
    assert_eq!(after_one.status, SignRequestStatus::Pending);
    assert_eq!(after_one.answers.len(), 1);

    suite
        .submit_signatures(&suite.parties[1], request_id, signatures.clone())
        .expect("second party result");
    let done = suite.signature_request(request_id);
    assert_eq!(done.status, SignRequestStatus::Fulfilled);
    let stored = done.signatures.expect("signatures stored when fulfilled");
    assert_eq!(stored, signatures);

    let verifying_key = VerifyingKey::from_sec1_bytes(&key.public_key).expect("public key");
    for (hash, signature) in hashes.iter().zip(&stored) {
        let signature = Signature::from_slice(signature).expect("64-byte signature");
        verifying_key
            .verify_prehash(hash, &signature)
            .expect("stored signature verifies against the key");
    }
}
