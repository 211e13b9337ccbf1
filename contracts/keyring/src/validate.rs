//! Checks on user input shared by several messages. Each returns the error that names what was
//! wrong, before anything is written.

use cosmwasm_std::{Addr, Api, Coin};
use mpc_contract_kit::contract::check_len;
use mpc_contract_kit::lifecycle::check_timeout;
use mpc_interfaces::keyring::{
    MAX_DESCRIPTION_LEN, MAX_FEE_DENOMS, MAX_KEY_REQUEST_TIMEOUT_BLOCKS, MAX_REASON_LEN,
};
use mpc_interfaces::KeyType;

use crate::error::{ContractError, ContractResult};
use crate::state::Role;

pub fn address(api: &dyn Api, address: &str) -> ContractResult<Addr> {
    api.addr_validate(address)
        .map_err(|_| ContractError::InvalidAddress { address: address.to_string() })
}

/// Validates party addresses: at least one, at most `MAX_PARTIES`, no duplicates.
pub fn parties(api: &dyn Api, parties: &[String]) -> ContractResult<Vec<Addr>> {
    if parties.is_empty() {
        return Err(ContractError::NoParties);
    }
    let (role, count) = (Role::Party, parties.len());
    // Too many is refused before any address is read.
    if count > role.max() {
        return Err(ContractError::TooManyMembers { role, count, max: role.max() });
    }
    let mut out: Vec<Addr> = Vec::with_capacity(count);
    for party in parties {
        role.admit(&mut out, address(api, party)?)?;
    }
    Ok(out)
}

pub fn threshold(threshold: u32, parties: usize) -> ContractResult<()> {
    if threshold == 0 || threshold as usize > parties {
        return Err(ContractError::ThresholdOutOfRange { threshold, parties });
    }
    Ok(())
}

pub fn description(description: &str) -> ContractResult<()> {
    Ok(check_len("description", description, MAX_DESCRIPTION_LEN)?)
}

pub fn reason(reason: &str) -> ContractResult<()> {
    Ok(check_len("reason", reason, MAX_REASON_LEN)?)
}

/// A key request timeout (the value of field `name`): at least one block, at most
/// `MAX_KEY_REQUEST_TIMEOUT_BLOCKS`.
pub fn timeout(name: &'static str, timeout: u64) -> ContractResult<u64> {
    Ok(check_timeout(name, timeout, MAX_KEY_REQUEST_TIMEOUT_BLOCKS)?)
}

/// Validates a fee and returns it in canonical form (sorted by denom), so that stored fees compare
/// equal to what the bank module sends.
pub fn fee(mut fee: Vec<Coin>) -> ContractResult<Vec<Coin>> {
    if fee.len() > MAX_FEE_DENOMS {
        return Err(ContractError::TooManyFeeDenoms { count: fee.len(), max: MAX_FEE_DENOMS });
    }
    // Unstable is enough: a denom given twice is refused below.
    fee.sort_unstable_by(|a, b| a.denom.cmp(&b.denom));
    for (i, coin) in fee.iter().enumerate() {
        if coin.denom.is_empty() {
            return Err(ContractError::EmptyFeeDenom);
        }
        if coin.amount.is_zero() {
            return Err(ContractError::ZeroFeeAmount { denom: coin.denom.clone() });
        }
        if i > 0 && fee[i - 1].denom == coin.denom {
            return Err(ContractError::DuplicateFeeDenom { denom: coin.denom.clone() });
        }
    }
    Ok(fee)
}

/// Any 32-byte hash and any 64-byte r||s with r, s in 1..n: the key parser runs before the
/// signature is checked, so this only probes whether the key parses.
const PROBE_HASH: [u8; 32] = [0u8; 32];
const PROBE_SIGNATURE: [u8; 64] = [1u8; 64];

/// Checks that `public_key` is a well-formed key of `key_type`.
///
/// ECDSA: 33 bytes, SEC1 compressed prefix 0x02/0x03, and the point must parse. The host has no
/// "parse key" call, but `secp256k1_verify` parses the key before verifying: for a key that does
/// not decode to a curve point it returns an error (cosmwasm-crypto maps the k256 parse failure to
/// `GenericErr`, code 10 over the VM boundary), while for a valid key with a non-matching
/// signature it returns `Ok(false)`. So the probe costs one host verification and no crypto code
/// in the contract.
///
/// EdDSA: 32 bytes that decompress to a curve point (curve25519-dalek, in the contract: the host's
/// `ed25519_verify` reports a key that does not decompress as `Ok(false)`, exactly like a wrong
/// signature), encoded canonically, and not of small order: against a small-order key such as
/// the identity, `ed25519_verify` accepts R = identity, s = 0 for any message.
pub fn public_key(api: &dyn Api, key_type: KeyType, public_key: &[u8]) -> ContractResult<()> {
    let expected = key_type.public_key_len();
    if public_key.len() != expected {
        return Err(ContractError::InvalidPublicKeyLength {
            key_type: key_type.as_str().to_string(),
            expected,
            actual: public_key.len(),
        });
    }
    match key_type {
        KeyType::EcdsaSecp256k1 => {
            let prefix = public_key[0];
            if prefix != 0x02 && prefix != 0x03 {
                return Err(ContractError::InvalidPublicKeyPrefix { prefix });
            }
            api.secp256k1_verify(&PROBE_HASH, &PROBE_SIGNATURE, public_key)
                .map_err(|_| ContractError::PublicKeyNotOnCurve)?;
            Ok(())
        }
        KeyType::EddsaEd25519 => ed25519_point(public_key),
    }
}

fn ed25519_point(public_key: &[u8]) -> ContractResult<()> {
    use curve25519_dalek::edwards::CompressedEdwardsY;
    let compressed = CompressedEdwardsY::from_slice(public_key)
        .map_err(|_| ContractError::InvalidEd25519PublicKey)?;
    let point = compressed.decompress().ok_or(ContractError::InvalidEd25519PublicKey)?;
    // `decompress` takes y modulo p and ignores the sign bit of x = 0: only the canonical form.
    if point.compress() != compressed {
        return Err(ContractError::InvalidEd25519PublicKey);
    }
    if point.is_small_order() {
        return Err(ContractError::SmallOrderPublicKey);
    }
    if !point.is_torsion_free() {
        return Err(ContractError::TorsionPublicKey);
    }
    Ok(())
}
