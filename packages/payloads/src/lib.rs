//! What a signature request may ask to sign, and where a key's signatures count.
//!
//! * [`HashKind`] and [`digest`]: how a payload becomes the 32 bytes an ECDSA key signs
//!   (keccak256, sha256, sha256d, EIP-191, EIP-712, a Cosmos SignDoc), so that the chain, the
//!   approvers and every MPC party see what is signed and compute the same digest.
//! * [`evm_address`], [`cosmos_address`], [`bitcoin_p2wpkh`], [`solana_address`]: the addresses
//!   a key controls on other chains.
//!
//! Pure Rust with maintained crates (sha2, sha3, ripemd, bech32, bs58) and no cosmwasm
//! dependency: the contracts use it on wasm32-unknown-unknown, the connector natively. The
//! `eip712` feature (native only) hashes EIP-712 typed data with alloy-dyn-abi.

use cw_schema::Schemaifier;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use sha3::{Digest, Keccak256};

mod address;
mod error;

pub use address::{
    bitcoin_p2wpkh, cosmos_address, eip55_checksum, evm_address, solana_address, BitcoinNetwork,
    MAX_BECH32_PREFIX_LEN,
};
pub use error::PayloadError;

/// Most bytes one payload may have (an EVM transaction's calldata runs to kilobytes, a Solana
/// message past 1,100 bytes): payloads are stored on chain and read by approvers and policies.
pub const MAX_PAYLOAD_LEN: usize = 8192;
/// Most bytes the payloads of one request may have together.
pub const MAX_PAYLOADS_LEN: usize = 16384;

/// How a payload is hashed into the 32 bytes an ECDSA key signs.
// The derives of `cw_serde` (JSON schema for schemars 0.8 and cw-schema), without cosmwasm.
#[derive(Serialize, Deserialize, JsonSchema, Schemaifier, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[schemaifier(mute_warnings)]
pub enum HashKind {
    /// keccak256(data): an EVM transaction's unsigned serialisation (its signing hash).
    Keccak256,
    /// sha256(data).
    Sha256,
    /// sha256(sha256(data)): Bitcoin's double hash (a legacy or segwit sighash preimage).
    Sha256d,
    /// EIP-191 version 0x45, `personal_sign`: keccak256("\x19Ethereum Signed Message:\n" ++
    /// decimal length of data ++ data).
    Eip191,
    /// EIP-712 typed data, as JSON text (what `eth_signTypedData_v4` takes).
    Eip712,
    /// sha256 of a Cosmos SDK SignDoc's protobuf bytes (SIGN_MODE_DIRECT).
    CosmosSignDoc,
}

impl HashKind {
    /// The name in JSON and in events.
    pub fn as_str(&self) -> &'static str {
        match self {
            HashKind::Keccak256 => "keccak256",
            HashKind::Sha256 => "sha256",
            HashKind::Sha256d => "sha256d",
            HashKind::Eip191 => "eip191",
            HashKind::Eip712 => "eip712",
            HashKind::CosmosSignDoc => "cosmos_sign_doc",
        }
    }
}

impl core::fmt::Display for HashKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The 32 bytes to sign for `data` hashed as `kind`.
///
/// Refuses a payload over [`MAX_PAYLOAD_LEN`], and EIP-712 typed data unless the `eip712`
/// feature is on ([`PayloadError::TypedDataNeedsSigner`]: the contracts store the digest the
/// requester computed, and every MPC party recomputes it from the typed data).
pub fn digest(kind: HashKind, data: &[u8]) -> Result<[u8; 32], PayloadError> {
    check_payload_len(data.len())?;
    Ok(match kind {
        HashKind::Keccak256 => keccak256(data),
        HashKind::Sha256 | HashKind::CosmosSignDoc => sha256(data),
        HashKind::Sha256d => sha256(&sha256(data)),
        HashKind::Eip191 => eip191_digest(data),
        HashKind::Eip712 => return eip712(data),
    })
}

#[cfg(feature = "eip712")]
fn eip712(data: &[u8]) -> Result<[u8; 32], PayloadError> {
    eip712_digest(data)
}

#[cfg(not(feature = "eip712"))]
fn eip712(_: &[u8]) -> Result<[u8; 32], PayloadError> {
    Err(PayloadError::TypedDataNeedsSigner)
}

/// The EIP-712 signing hash of typed data given as JSON (the object `eth_signTypedData_v4`
/// takes: `types`, `primaryType`, `domain`, `message`), computed by alloy-dyn-abi:
/// keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(message)).
#[cfg(feature = "eip712")]
pub fn eip712_digest(json: &[u8]) -> Result<[u8; 32], PayloadError> {
    use alloy_dyn_abi::eip712::TypedData;
    let invalid = |reason: String| PayloadError::InvalidTypedData { reason };
    let typed: TypedData = serde_json::from_slice(json).map_err(|e| invalid(e.to_string()))?;
    let hash = typed
        .eip712_signing_hash()
        .map_err(|e| invalid(e.to_string()))?;
    Ok(hash.0)
}

/// Refuses one payload over [`MAX_PAYLOAD_LEN`].
pub fn check_payload_len(len: usize) -> Result<(), PayloadError> {
    if len > MAX_PAYLOAD_LEN {
        return Err(PayloadError::PayloadTooLong {
            len,
            max: MAX_PAYLOAD_LEN,
        });
    }
    Ok(())
}

/// Refuses the payloads of one request when together over [`MAX_PAYLOADS_LEN`].
pub fn check_payloads_len(total: usize) -> Result<(), PayloadError> {
    if total > MAX_PAYLOADS_LEN {
        return Err(PayloadError::PayloadsTooLong {
            total,
            max: MAX_PAYLOADS_LEN,
        });
    }
    Ok(())
}

/// keccak256 (Ethereum's Keccak, not SHA3-256).
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    Keccak256::digest(data).into()
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// EIP-191 `personal_sign`: keccak256("\x19Ethereum Signed Message:\n" ++ len ++ message).
fn eip191_digest(message: &[u8]) -> [u8; 32] {
    let mut hasher = Keccak256::new();
    hasher.update(b"\x19Ethereum Signed Message:\n");
    hasher.update(message.len().to_string().as_bytes());
    hasher.update(message);
    hasher.finalize().into()
}
