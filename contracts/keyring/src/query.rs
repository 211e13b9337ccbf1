use cosmwasm_std::{Api, Deps, Env, Order, StdError, StdResult};
use mpc_contract_kit::deadline_list::{summaries, DeadlinePage, Listing};
use mpc_contract_kit::lifecycle::Record;
use mpc_contract_kit::paging::{bound_after, ids_page, paginate_values};
use mpc_interfaces::keyring::{
    AddressesResponse, BitcoinAddresses, ConfigResponse, FeeResponse, KeyRequestResponse,
    KeyRequestStatus, KeyRequestSummary, KeyRequestsResponse, KeyResponse, KeyringResponse,
    KeyringsResponse, KeysResponse, SigningKeyResponse,
};
use mpc_interfaces::KeyType;
use mpc_payloads::{
    bitcoin_p2wpkh, cosmos_address, evm_address, solana_address, BitcoinNetwork, PayloadError,
};

use crate::error::{ContractError, ContractResult};
use crate::state::{
    key_request_positions, load_key_request, CONFIG, KEYRINGS, KEYS, KEYS_BY_WORKSPACE, KEY_ANSWERS,
};

pub fn config(deps: Deps) -> ContractResult<ConfigResponse> {
    let config = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse {
        workspace_contract: config.workspace_contract.0,
        key_request_timeout_blocks: config.key_request_timeout_blocks,
    })
}

pub fn keyring(deps: Deps, keyring_id: u64) -> ContractResult<KeyringResponse> {
    KEYRINGS
        .may_load(deps.storage, keyring_id)?
        .ok_or(ContractError::KeyringNotFound { keyring_id })
}

pub fn keyrings(
    deps: Deps, start_after: Option<u64>, limit: Option<u32>,
) -> ContractResult<KeyringsResponse> {
    let keyrings = paginate_values(
        KEYRINGS.range(deps.storage, bound_after(start_after), None, Order::Ascending),
        limit,
    )?;
    Ok(KeyringsResponse { keyrings })
}

pub fn key_request(deps: Deps, env: Env, request_id: u64) -> ContractResult<KeyRequestResponse> {
    let request = load_key_request(deps.storage, request_id)?;
    let answers = KEY_ANSWERS.load(deps.storage, request_id)?;
    Ok(request.into_response(answers, env.block.height))
}

/// Pages a keyring's requests in `status` as seen now, ordered by (deadline height, id), each read
/// from the index alone.
///
/// The index holds the stored status, ordered by deadline; a pending request past its deadline
/// is still stored as pending until someone settles it. [`DeadlinePage`] lists the pending ones
/// that are not overdue with a range bound, and merges the stored `Expired` range with the
/// overdue pending ones for `Expired`: each page reads at most two ranges of `limit` entries,
/// whatever the total.
pub fn requests_by_keyring(
    deps: Deps, env: Env, keyring_id: u64, status: KeyRequestStatus, start_after: Option<u64>,
    limit: Option<u32>,
) -> ContractResult<KeyRequestsResponse> {
    let height = env.block.height;
    let after = start_after
        .map(|id| load_key_request(deps.storage, id).map(|r| r.position()))
        .transpose()?;
    let page = DeadlinePage { height, after, limit };
    let listing = Listing::of(status, &[KeyRequestStatus::Pending]);
    let requests = page.list(listing, |stored, min, max| {
        let positions = key_request_positions(deps.storage, keyring_id, stored, min, max);
        summaries(positions, stored, height, KeyRequestSummary::new)
    })?;
    Ok(KeyRequestsResponse { requests })
}

pub fn key(deps: Deps, key_id: u64) -> ContractResult<KeyResponse> {
    KEYS.may_load(deps.storage, key_id)?.ok_or(ContractError::KeyNotFound { key_id })
}

pub fn keys_by_workspace(
    deps: Deps, workspace_id: u64, start_after: Option<u64>, limit: Option<u32>,
) -> ContractResult<KeysResponse> {
    let ids = ids_page(deps.storage, KEYS_BY_WORKSPACE.prefix(workspace_id), start_after, limit)?;
    let keys = ids.into_iter().map(|id| KEYS.load(deps.storage, id)).collect::<StdResult<_>>()?;
    Ok(KeysResponse { keys })
}

pub fn key_request_fee(deps: Deps, keyring_id: u64) -> ContractResult<FeeResponse> {
    Ok(FeeResponse { fee: keyring(deps, keyring_id)?.key_req_fee })
}

pub fn signature_request_fee(deps: Deps, key_id: u64) -> ContractResult<FeeResponse> {
    Ok(FeeResponse { fee: signing_key(deps, key_id)?.fee })
}

pub fn signing_key(deps: Deps, key_id: u64) -> ContractResult<SigningKeyResponse> {
    let key = key(deps, key_id)?;
    let keyring = keyring(deps, key.keyring_id)?;
    Ok(SigningKeyResponse { key, keyring_active: keyring.active, fee: keyring.sig_req_fee })
}

/// The addresses the key controls on other chains (`mpc_payloads`). A secp256k1 key is stored
/// compressed; the EVM address needs its y coordinate, which the chain's
/// `secp256k1_recover_pubkey` gives without curve arithmetic in the contract (see
/// [`uncompressed_secp256k1`]).
pub fn addresses(
    deps: Deps, key_id: u64, bech32_prefix: Option<String>,
) -> ContractResult<AddressesResponse> {
    let key = key(deps, key_id)?;
    let mut response =
        AddressesResponse { key_id, evm: None, cosmos: None, bitcoin: None, solana: None };
    match key.key_type {
        KeyType::EcdsaSecp256k1 => {
            let compressed = stored_key::<33>(&key.public_key)?;
            response.cosmos = bech32_prefix
                .map(|prefix| cosmos_address(&prefix, &compressed))
                .transpose()
                .map_err(|e| match e {
                    PayloadError::InvalidBech32Prefix { prefix, reason } => {
                        ContractError::InvalidBech32Prefix { prefix, reason }
                    }
                    other => StdError::msg(other).into(),
                })?;
            response.evm = uncompressed_secp256k1(deps.api, &compressed)?.map(|p| evm_address(&p));
            response.bitcoin = Some(BitcoinAddresses {
                mainnet: bitcoin_p2wpkh(BitcoinNetwork::Mainnet, &compressed),
                testnet: bitcoin_p2wpkh(BitcoinNetwork::Testnet, &compressed),
                regtest: bitcoin_p2wpkh(BitcoinNetwork::Regtest, &compressed),
            });
        }
        KeyType::EddsaEd25519 => {
            response.solana = Some(solana_address(&stored_key::<32>(&key.public_key)?));
        }
    }
    Ok(response)
}

/// A stored public key as the array its type has (checked when the key was made).
fn stored_key<const N: usize>(public_key: &[u8]) -> ContractResult<[u8; N]> {
    public_key.try_into().map_err(|_| StdError::msg("stored public key of the wrong length").into())
}

/// The secp256k1 group order n, big-endian.
const SECP256K1_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

/// The uncompressed point (0x04 ‖ x ‖ y) of a compressed secp256k1 key, from the host.
///
/// ECDSA public key recovery from a signature (r, s) over hash z with recovery id v gives
/// Q = r⁻¹(sR − zG), where R is the point with x coordinate r and the y parity v. With z = 0 and
/// s = r that is Q = R: recovering "signature" (x, x) over the zero hash with the key's own
/// parity (0x02 → 0, 0x03 → 1) answers the key itself, uncompressed. cosmwasm's recovery accepts
/// an s above n/2 (it normalises it, flipping the parity, which names the same point), so any x
/// works, except x ≥ n, which is not a valid r (about 2^-128 of keys): `None` then.
pub fn uncompressed_secp256k1(
    api: &dyn Api, compressed: &[u8; 33],
) -> ContractResult<Option<[u8; 65]>> {
    let x = &compressed[1..];
    if x >= &SECP256K1_ORDER[..] {
        return Ok(None);
    }
    let mut signature = [0u8; 64];
    signature[..32].copy_from_slice(x);
    signature[32..].copy_from_slice(x);
    let parity = compressed[0] & 1;
    let point =
        api.secp256k1_recover_pubkey(&[0u8; 32], &signature, parity).map_err(StdError::from)?;
    let point: [u8; 65] = point
        .try_into()
        .map_err(|_| StdError::msg("secp256k1_recover_pubkey answered no uncompressed point"))?;
    // The recovered point is the key itself: same x, same y parity.
    if point[0] != 0x04 || &point[1..33] != x || point[64] & 1 != parity {
        return Err(StdError::msg("secp256k1_recover_pubkey answered another point").into());
    }
    Ok(Some(point))
}
