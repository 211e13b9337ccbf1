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
