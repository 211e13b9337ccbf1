//! The addresses a key controls on other chains.

use bech32::{Bech32, ByteIterExt, Fe32, Fe32IterExt, Hrp};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

use crate::{keccak256, PayloadError};

/// A Bitcoin network, for its segwit address prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitcoinNetwork {
    /// `bc`
    Mainnet,
    /// `tb` (testnet and signet)
    Testnet,
    /// `bcrt`
    Regtest,
}

impl BitcoinNetwork {
    fn hrp(self) -> Hrp {
        match self {
            BitcoinNetwork::Mainnet => bech32::hrp::BC,
            BitcoinNetwork::Testnet => bech32::hrp::TB,
            BitcoinNetwork::Regtest => bech32::hrp::BCRT,
        }
    }
}

/// The EVM address of a secp256k1 key given as its uncompressed SEC1 point (0x04 ‖ x ‖ y): the
/// last 20 bytes of keccak256(x ‖ y), with the EIP-55 checksum.
pub fn evm_address(uncompressed_65: &[u8; 65]) -> String {
    let hash = keccak256(&uncompressed_65[1..]);
    let mut address = [0u8; 20];
    address.copy_from_slice(&hash[12..]);
    eip55_checksum(&address)
}

/// `0x` and the address in hex, a letter upper case where the matching nibble of the keccak256
/// of the lower-case hex is 8 or more (EIP-55).
pub fn eip55_checksum(address: &[u8; 20]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let lower: Vec<u8> = address
        .iter()
        .flat_map(|b| [HEX[(b >> 4) as usize], HEX[(b & 0x0f) as usize]])
        .collect();
    let hash = keccak256(&lower);
    let mut out = String::with_capacity(42);
    out.push_str("0x");
    for (i, &c) in lower.iter().enumerate() {
        let nibble = (hash[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0x0f;
        out.push(if nibble >= 8 {
            c.to_ascii_uppercase()
        } else {
            c
        } as char);
    }
    out
}

/// The Cosmos SDK account address of a compressed secp256k1 key under `prefix`:
/// bech32(prefix, ripemd160(sha256(key))). The prefix is 1 to 83 (BIP-173's longest
/// human-readable part) lower-case ASCII letters and digits, as every Cosmos chain's.
pub fn cosmos_address(prefix: &str, compressed_33: &[u8; 33]) -> Result<String, PayloadError> {
    let invalid = |reason: String| PayloadError::InvalidBech32Prefix {
        prefix: prefix.to_string(),
        reason,
    };
    if prefix.is_empty() {
        return Err(invalid("it is empty".to_string()));
    }
    if prefix.len() > MAX_BECH32_PREFIX_LEN {
        return Err(invalid(format!(
            "it is longer than {MAX_BECH32_PREFIX_LEN} characters"
        )));
    }
    if let Some(c) = prefix
        .chars()
        .find(|c| !c.is_ascii_lowercase() && !c.is_ascii_digit())
    {
        return Err(invalid(format!(
            "{c:?} is not a lower-case ASCII letter or digit"
        )));
    }
    // Checked above as BIP-173 wants it (`Hrp::parse` would check it again, with an error type
    // whose formatting costs the contract's wasm kilobytes).
    let hrp = Hrp::parse_unchecked(prefix);
    Ok(bech32_string(&hrp, None, &hash160(compressed_33)))
}

/// The longest bech32 human-readable part (BIP-173).
pub const MAX_BECH32_PREFIX_LEN: usize = 83;

/// The native segwit (v0, P2WPKH) address of a compressed secp256k1 key on `network`:
/// bech32(hrp, 0 ‖ ripemd160(sha256(key))), as BIP-173 gives it.
pub fn bitcoin_p2wpkh(network: BitcoinNetwork, compressed_33: &[u8; 33]) -> String {
    bech32_string(&network.hrp(), Some(Fe32::Q), &hash160(compressed_33))
}

/// bech32 (BIP-173's checksum) of `data`, after the witness version if one is given, with the
/// bech32 crate's iterators: its `encode` functions check and format through `core::fmt`,
/// about 20 kB more in the contract's wasm, for inputs checked here already (a 20-byte program,
/// a prefix of at most 83 characters: at most 83 + 1 + 1 + 32 + 6 characters, within bech32's
/// 1023).
fn bech32_string(hrp: &Hrp, witness_version: Option<Fe32>, data: &[u8]) -> String {
    let encoder = data
        .iter()
        .copied()
        .bytes_to_fes()
        .with_checksum::<Bech32>(hrp);
    match witness_version {
        Some(version) => encoder.with_witness_version(version).chars().collect(),
        None => encoder.chars().collect(),
    }
}

/// The Solana address of an Ed25519 key: its 32 bytes in base58.
pub fn solana_address(ed25519_32: &[u8; 32]) -> String {
    bs58::encode(ed25519_32).into_string()
}

/// ripemd160(sha256(data)): Bitcoin's and the Cosmos SDK's key hash.
fn hash160(data: &[u8]) -> [u8; 20] {
    Ripemd160::digest(Sha256::digest(data)).into()
}
