use cosmwasm_std::{Deps, Env, Order, StdResult};
use mpc_contract_kit::deadline_list::{summaries, DeadlinePage, Listing};
use mpc_contract_kit::lifecycle::Record;
use mpc_contract_kit::paging::{bound_after, ids_page, paginate_values};
use mpc_interfaces::keyring::{
    ConfigResponse, FeeResponse, KeyRequestResponse, KeyRequestStatus, KeyRequestSummary,
    KeyRequestsResponse, KeyResponse, KeyringResponse, KeyringsResponse, KeysResponse,
    SigningKeyResponse,
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
