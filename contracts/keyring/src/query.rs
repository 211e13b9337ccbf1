use cosmwasm_std::{Deps, Env, Order, Storage};
use mpc_contract_kit::deadline_list::{DeadlinePage, Listing};
use mpc_contract_kit::paging::{bound_after, paginate_values};
use mpc_interfaces::keyring::{
    ConfigResponse, KeyRequestResponse, KeyRequestStatus, KeyRequestsResponse, KeyResponse,
    KeyringResponse, KeyringsResponse, KeysResponse,
};

use crate::error::ContractError;
use crate::state::{key_requests, keys, KeyRequest, KeyRequestExt, CONFIG, KEYRINGS};

pub fn config(deps: Deps) -> Result<ConfigResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse {
        workspace_contract: config.workspace_contract,
        key_request_timeout_blocks: config.key_request_timeout_blocks,
    })
}

pub fn keyring(deps: Deps, keyring_id: u64) -> Result<KeyringResponse, ContractError> {
    KEYRINGS
        .may_load(deps.storage, keyring_id)?
        .ok_or(ContractError::KeyringNotFound { keyring_id })
}

pub fn keyrings(
    deps: Deps,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<KeyringsResponse, ContractError> {
    let keyrings = paginate_values(
        KEYRINGS.range(
            deps.storage,
            bound_after(start_after),
            None,
            Order::Ascending,
        ),
        limit,
    )?;
    Ok(KeyringsResponse { keyrings })
}

pub fn key_request(
    deps: Deps,
    env: Env,
    request_id: u64,
) -> Result<KeyRequestResponse, ContractError> {
    Ok(load_key_request(deps.storage, request_id)?.into_response(env.block.height))
}

/// Pages a keyring's requests in `status` as seen now, ordered by (deadline height, id).
///
/// The index holds the stored status, ordered by deadline; a pending request past its deadline
/// is still stored as pending until someone settles it. [`DeadlinePage`] lists the pending ones
/// that are not overdue with a range bound, and merges the stored `Expired` range with the
/// overdue pending ones for `Expired`: each page reads at most two ranges of `limit` entries,
/// whatever the total.
pub fn key_requests_by_keyring(
    deps: Deps,
    env: Env,
    keyring_id: u64,
    status: KeyRequestStatus,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<KeyRequestsResponse, ContractError> {
    let height = env.block.height;
    let after = start_after
        .map(|id| load_key_request(deps.storage, id).map(|r| r.position()))
        .transpose()?;
    let listing = match status {
        KeyRequestStatus::Pending => Listing::Open(status),
        KeyRequestStatus::Expired => Listing::Expired {
            expired: status,
            open: &[KeyRequestStatus::Pending],
        },
        KeyRequestStatus::Fulfilled | KeyRequestStatus::Rejected => Listing::Final(status),
    };
    let page = DeadlinePage {
        height,
        after,
        limit,
    };
    let requests = page.list(listing, |stored, min, max| {
        Box::new(
            key_requests()
                .idx
                .by_keyring_status
                .sub_prefix((keyring_id, stored.as_str().to_string()))
                .range(deps.storage, min, max, Order::Ascending)
                .map(|item| item.map(|(_, r)| (r.position(), r))),
        )
    })?;
    Ok(KeyRequestsResponse {
        requests: requests
            .into_iter()
            .map(|r| r.into_response(height))
            .collect(),
    })
}

pub fn key(deps: Deps, key_id: u64) -> Result<KeyResponse, ContractError> {
    keys()
        .may_load(deps.storage, key_id)?
        .ok_or(ContractError::KeyNotFound { key_id })
}

pub fn keys_by_workspace(
    deps: Deps,
    workspace_id: u64,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<KeysResponse, ContractError> {
    let keys = paginate_values(
        keys().idx.by_workspace.prefix(workspace_id).range(
            deps.storage,
            bound_after(start_after),
            None,
            Order::Ascending,
        ),
        limit,
    )?;
    Ok(KeysResponse { keys })
}

fn load_key_request(storage: &dyn Storage, request_id: u64) -> Result<KeyRequest, ContractError> {
    key_requests()
        .may_load(storage, request_id)?
        .ok_or(ContractError::KeyRequestNotFound { request_id })
}
