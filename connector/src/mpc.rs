//! What the worker asks of this party's MPC side, behind a small trait so the worker does not
//! depend on how the federation runs its protocols. The implementation over `mpc-party`
//! (TCP + Noise transport, CGGMP21 ECDSA, FROST EdDSA, encrypted share store) is
//! [`party::PartyEngine`].

pub mod party;

use mpc_interfaces::KeyType;
use mpc_party::MpcError;

/// Distributed key generation for one key request: every party of the request takes part.
/// A party's transport index is its position in the request's party list.
#[derive(Clone, Debug)]
pub struct KeygenJob {
    /// The keyring contract and the key request's id: every party derives the same sessions.
    pub contract: String,
    pub request_id: u64,
    pub key_type: KeyType,
    /// Number of parties of the request.
    pub parties: u16,
    pub threshold: u16,
}

/// Threshold signing of one signature request's items.
#[derive(Clone, Debug)]
pub struct SignJob {
    /// The signature-requests contract and the request's id.
    pub contract: String,
    pub request_id: u64,
    pub key_type: KeyType,
    /// The key's public key: it names this party's share.
    pub public_key: Vec<u8>,
    /// ECDSA: 32-byte hashes. EdDSA: messages.
    pub items: Vec<Vec<u8>>,
}

/// This party's side of the federation's protocols.
#[async_trait::async_trait]
pub trait MpcEngine: Send + Sync + 'static {
    /// Runs DKG, stores this party's share and returns the public key
    /// in the contracts' encoding (33-byte compressed secp256k1, or 32-byte Ed25519).
    async fn keygen(&self, job: KeygenJob) -> Result<Vec<u8>, MpcError>;

    /// Signs every item with the share of `job.public_key`; returns one 64-byte signature per
    /// item, in order.
    /// Whether or not this party was one of the `threshold` signers, it gets the signatures.
    async fn sign(&self, job: SignJob) -> Result<Vec<Vec<u8>>, MpcError>;

    /// Whether this party holds a share of the key `public_key`.
    fn holds_key(&self, key_type: KeyType, public_key: &[u8]) -> Result<bool, MpcError>;

    /// How this party's transport sees each other party now (for metrics and `/healthz`);
    /// empty when the engine has no network of its own to report.
    fn peers(&self) -> Vec<PeerView> {
        Vec::new()
    }
}

/// One other party as the transport sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerView {
    pub index: mpc_party::PartyIndex,
    /// An authenticated connection from it is up.
    pub connected: bool,
    /// Its heartbeats arrive: it is a candidate signer.
    pub live: bool,
    /// Bytes of its messages buffered here (bounded by the per-peer budget).
    pub buffered_bytes: usize,
    /// When its last protocol message arrived (`None`: none since this party started).
    pub last_message_at: Option<std::time::SystemTime>,
}

/// Checks one signature against a public key as the contract will (so a party never submits a
/// signature that the chain would refuse).
pub fn verify(key_type: KeyType, public_key: &[u8], item: &[u8], signature: &[u8]) -> bool {
    match key_type {
        KeyType::EcdsaSecp256k1 => {
            use k256::ecdsa::signature::hazmat::PrehashVerifier;
            let (Ok(key), Ok(sig)) = (
                k256::ecdsa::VerifyingKey::from_sec1_bytes(public_key),
                k256::ecdsa::Signature::from_slice(signature),
            ) else {
                return false;
            };
            // The chain accepts low-s signatures only.
            sig.normalize_s().is_none() && key.verify_prehash(item, &sig).is_ok()
        }
        KeyType::EddsaEd25519 => {
            let (Ok(key), Ok(sig)) = (
                <[u8; 32]>::try_from(public_key),
                <[u8; 64]>::try_from(signature),
            ) else {
                return false;
            };
            let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&key) else {
                return false;
            };
            key.verify_strict(item, &ed25519_dalek::Signature::from_bytes(&sig))
                .is_ok()
        }
    }
}

/// The recovery id (0 or 1) of each ECDSA signature (low-S, as submitted) of `items` under
/// `public_key`, found by trial recovery; what the contract checks with
/// `secp256k1_recover_pubkey`. Empty for EdDSA. `None` when a signature recovers the key with
/// neither id (it does not verify).
pub fn recovery_ids(
    key_type: KeyType,
    public_key: &[u8],
    items: &[impl AsRef<[u8]>],
    signatures: &[impl AsRef<[u8]>],
) -> Option<Vec<u8>> {
    match key_type {
        KeyType::EcdsaSecp256k1 => {
            let key = k256::ecdsa::VerifyingKey::from_sec1_bytes(public_key).ok()?;
            items
                .iter()
                .zip(signatures)
                .map(|(item, signature)| {
                    let signature = k256::ecdsa::Signature::from_slice(signature.as_ref()).ok()?;
                    k256::ecdsa::RecoveryId::trial_recovery_from_prehash(
                        &key,
                        item.as_ref(),
                        &signature,
                    )
                    .ok()
                    .map(|id| id.to_byte())
                })
                .collect()
        }
        KeyType::EddsaEd25519 => Some(Vec::new()),
    }
}

/// A payload's digest as this party computes it: [`mpc_payloads::digest`], which with the
/// `eip712` feature (on here) hashes EIP-712 typed data from its JSON too (the contract keeps the
/// digest its requester gave; the parties check it).
pub fn payload_digest(
    payload: &mpc_interfaces::signature_requests::Payload,
) -> Result<[u8; 32], String> {
    mpc_payloads::digest(payload.hash, &payload.data).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::signature::hazmat::PrehashSigner;
    use mpc_interfaces::signature_requests::Payload;
    use mpc_interfaces::HashKind;

    #[test]
    fn the_recovery_id_of_each_low_s_signature_recovers_the_key() {
        let secret = k256::ecdsa::SigningKey::from_bytes(&[7u8; 32].into()).unwrap();
        let public_key = secret
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec();
        let items: Vec<[u8; 32]> = (0u8..8).map(|i| [i; 32]).collect();
        let signatures: Vec<Vec<u8>> = items
            .iter()
            .map(|item| {
                let signature: k256::ecdsa::Signature = secret.sign_prehash(item).unwrap();
                signature.normalize_s().unwrap_or(signature).to_vec()
            })
            .collect();
        let ids = recovery_ids(KeyType::EcdsaSecp256k1, &public_key, &items, &signatures).unwrap();
        assert_eq!(ids.len(), items.len());
        for ((item, signature), id) in items.iter().zip(&signatures).zip(&ids) {
            assert!(*id <= 1);
            let signature = k256::ecdsa::Signature::from_slice(signature).unwrap();
            let id = k256::ecdsa::RecoveryId::from_byte(*id).unwrap();
            let recovered =
                k256::ecdsa::VerifyingKey::recover_from_prehash(item, &signature, id).unwrap();
            assert_eq!(&recovered, secret.verifying_key());
        }
        // A signature of another item recovers the key with neither id.
        let wrong = [items[0], items[0]];
        assert_eq!(
            recovery_ids(
                KeyType::EcdsaSecp256k1,
                &public_key,
                &wrong,
                &signatures[..2]
            ),
            None
        );
        assert_eq!(
            recovery_ids(KeyType::EddsaEd25519, &[0; 32], &items, &signatures),
            Some(vec![])
        );
    }

    #[test]
    fn payload_digests_are_those_of_mpc_payloads_with_eip712_hashed_from_its_json() {
        let payload = |hash, data: &[u8]| Payload {
            hash,
            data: cosmwasm_std::Binary::from(data.to_vec()),
            digest: None,
        };
        assert_eq!(
            payload_digest(&payload(HashKind::Sha256, b"abc")).unwrap(),
            mpc_payloads::digest(HashKind::Sha256, b"abc").unwrap()
        );
        // The EIP's example (EIP-712, "Example"): its signing hash.
        let mail = r#"{"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"version","type":"string"},{"name":"chainId","type":"uint256"},{"name":"verifyingContract","type":"address"}],"Person":[{"name":"name","type":"string"},{"name":"wallet","type":"address"}],"Mail":[{"name":"from","type":"Person"},{"name":"to","type":"Person"},{"name":"contents","type":"string"}]},"primaryType":"Mail","domain":{"name":"Ether Mail","version":"1","chainId":1,"verifyingContract":"0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},"message":{"from":{"name":"Cow","wallet":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},"to":{"name":"Bob","wallet":"0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},"contents":"Hello, Bob!"}}"#;
        assert_eq!(
            hex::encode(payload_digest(&payload(HashKind::Eip712, mail.as_bytes())).unwrap()),
            "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2"
        );
        assert!(payload_digest(&payload(HashKind::Eip712, b"{}")).is_err());
    }
}
