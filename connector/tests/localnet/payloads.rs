//! Payload requests end to end: the chain hashes the payloads into the items, every party
//! recomputes each digest from the payload before it signs, and a party that computes one
//! differently (a patched party, run from this test binary) refuses instead of signing, while
//! the two others fulfil the request. The recovery ids stored with the signatures recover the
//! key's EVM address.

use cosmwasm_std::Binary;
use mpc_connector::worker::PAYLOAD_MISMATCH_LOG;
use mpc_devnet::verified_signatures;
use mpc_interfaces::signature_requests::{Payload, SignRequestStatus, SignResult};
use mpc_interfaces::{HashKind, KeyType};

use crate::federation::{check, check_eq, Setup, PATCHED_CONFIG_ENV};
use crate::run_with;

/// The party that computes digests differently.
const PATCHED: usize = 2;

/// The EIP's own example (EIP-712, "Example"): the `Mail` typed data and its signing hash.
const EIP712_MAIL: &str = r#"{"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"version","type":"string"},{"name":"chainId","type":"uint256"},{"name":"verifyingContract","type":"address"}],"Person":[{"name":"name","type":"string"},{"name":"wallet","type":"address"}],"Mail":[{"name":"from","type":"Person"},{"name":"to","type":"Person"},{"name":"contents","type":"string"}]},"primaryType":"Mail","domain":{"name":"Ether Mail","version":"1","chainId":1,"verifyingContract":"0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},"message":{"from":{"name":"Cow","wallet":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},"to":{"name":"Bob","wallet":"0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},"contents":"Hello, Bob!"}}"#;
const EIP712_MAIL_DIGEST: &str = "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2";

/// The patched party's digests: sha256 of every payload, whatever its hash says.
pub fn patched_digest(payload: &Payload) -> Result<[u8; 32], String> {
    mpc_payloads::digest(HashKind::Sha256, &payload.data).map_err(|e| e.to_string())
}

/// Not a test: the patched party's `connector run`, entered through
/// [`crate::federation::patched_binary`] (without
/// its environment variable, it returns at once). The real connector with
/// [`patched_digest`] as the worker's payload digest.
#[test]
fn patched_connector() {
    let Some(config) = std::env::var_os(PATCHED_CONFIG_ENV) else {
        return;
    };
    mpc_connector::logging::init(Default::default());
    let args = mpc_connector::cli::run::RunArgs {
        config: config.into(),
    };
    let result = mpc_connector::cli::run::prepare(args).and_then(|prepared| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?
            .block_on(mpc_connector::cli::run::serve_with(
                prepared,
                patched_digest,
            ))
    });
    // Exits at once, as the connector does, without waiting for background work.
    std::process::exit(match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    });
}

fn hex(text: &str) -> Vec<u8> {
    hex::decode(text).expect("hex")
}

/// The key's EVM address, from its compressed SEC1 form.
fn evm_address_of(key: &k256::ecdsa::VerifyingKey) -> String {
    let point = key.to_encoded_point(false);
    mpc_payloads::evm_address(point.as_bytes().try_into().expect("65 bytes"))
}

#[test]
fn a_payload_request_is_signed_by_the_parties_whose_digests_match_and_refused_by_the_other() {
    let setup = Setup {
        patched_digest: Some(PATCHED),
        ..Setup::default()
    };
    run_with(&setup, |f| {
        let key = f.request_key(KeyType::EcdsaSecp256k1)?;
        // Bytes hashed with keccak256, as an EVM transaction's unsigned serialisation is, and
        // the EIP's typed data with the digest the requester computed.
        let transaction = hex(
            "02e80180843b9aca0085012a05f20082520894bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb0180c0",
        );
        let payloads = vec![
            Payload {
                hash: HashKind::Keccak256,
                data: Binary::new(transaction.clone()),
                digest: None,
            },
            Payload {
                hash: HashKind::Eip712,
                data: Binary::new(EIP712_MAIL.as_bytes().to_vec()),
                digest: Some(Binary::new(hex(EIP712_MAIL_DIGEST))),
            },
        ];
        let (id, requested) = f.request_payload_signature(&key, payloads.clone())?;
        let partial = f.signature_request(id, Some(requested.height))?;
        check_eq(
            partial.status,
            SignRequestStatus::Partial,
            "after the request",
        )?;
        check_eq(
            partial.payloads.as_ref(),
            Some(&payloads),
            "the payloads as stored",
        )?;
        check_eq(
            partial.items.iter().map(|i| i.to_vec()).collect::<Vec<_>>(),
            vec![
                mpc_payloads::keccak256(&transaction).to_vec(),
                hex(EIP712_MAIL_DIGEST),
            ],
            "the items are the payloads' digests",
        )?;
        f.approve(id)?;
        let seen = std::time::Instant::now();
        let finished = f.wait_final(id, seen)?;
        let request = &finished.request;
        check_eq(request.status, SignRequestStatus::Fulfilled, "status")?;
        // Checks the signatures and that the recovery ids recover the key.
        let signatures = verified_signatures(&key, request).map_err(|e| e.to_string())?;

        // The patched party refused, with the reason every party gives, and logged it.
        let patched = &f.parties[PATCHED];
        let refusal = request
            .answers
            .iter()
            .find(|a| a.party.as_str() == patched.address)
            .ok_or("the patched party answered on chain")?;
        match &refusal.result {
            SignResult::Failure { reason } => check(
                reason.starts_with(PAYLOAD_MISMATCH_LOG),
                &format!("the patched party's reason names the mismatch: {reason}"),
            )?,
            SignResult::Success { .. } => {
                return Err("the patched party signed a payload it hashed differently".into())
            }
        }
        let successes = request
            .answers
            .iter()
            .filter(|a| matches!(a.result, SignResult::Success { .. }))
            .count();
        check_eq(successes, 2, "the two other parties signed")?;
        let log = std::fs::read_to_string(&patched.log_path).unwrap_or_default();
        check(
            log.contains(PAYLOAD_MISMATCH_LOG),
            "the patched party logged its refusal",
        )?;

        // With each stored recovery id, the signature recovers the key's EVM address, as an
        // EVM chain's ecrecover would with v = 27 + id.
        let verifying_key = k256::ecdsa::VerifyingKey::from_sec1_bytes(&key.public_key)
            .map_err(|e| e.to_string())?;
        let address = evm_address_of(&verifying_key);
        let recovery_ids = request.recovery_ids.clone().ok_or("no recovery ids")?;
        check_eq(recovery_ids.len(), 2, "one recovery id per signature")?;
        for ((item, signature), id) in request.items.iter().zip(&signatures).zip(recovery_ids) {
            let signature =
                k256::ecdsa::Signature::from_slice(signature).map_err(|e| e.to_string())?;
            let id = k256::ecdsa::RecoveryId::from_byte(id).ok_or("recovery id not 0 or 1")?;
            let recovered = k256::ecdsa::VerifyingKey::recover_from_prehash(item, &signature, id)
                .map_err(|e| e.to_string())?;
            check_eq(
                evm_address_of(&recovered),
                address.clone(),
                "recovered EVM address",
            )?;
        }
        println!(
            "payload request {id} fulfilled in {:.2} s by the two parties whose digests match; \
             key {} signs for EVM address {address}",
            finished.seconds, key.key_id
        );
        Ok(())
    });
}
