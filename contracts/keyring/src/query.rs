use cosmwasm_std::{Deps, Env, Order, StdResult, Storage};
use cw_storage_plus::Bound;
use mpc_interfaces::keyring::{
    ConfigResponse, KeyRequestResponse, KeyRequestStatus, KeyRequestsResponse, KeyResponse,
    KeyringResponse, KeyringsResponse, KeysResponse,
};
use mpc_interfaces::page_limit;

use crate::error::ContractError;
use crate::state::{key_requests, keys, KeyRequest, CONFIG, KEYRINGS};

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
        .map(Into::into)
        .ok_or(ContractError::KeyringNotFound { keyring_id })
}

pub fn keyrings(
    deps: Deps,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<KeyringsResponse, ContractError> {
    let keyrings = KEYRINGS
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|item| item.map(|(_, k)| k.into()))
        .collect::<StdResult<_>>()?;
    Ok(KeyringsResponse { keyrings })
}

pub fn key_request(
    deps: Deps,
    env: Env,
    request_id: u64,
) -> Result<KeyRequestResponse, ContractError> {
    Ok(load_key_request(deps.storage, request_id)?.to_response(env.block.height))
}

/// Pages a keyring's requests in `status` as seen now, ordered by (deadline height, id).
///
/// The index holds the stored status; a pending request past its deadline is still stored as
/// pending until someone settles it. Because the index orders by deadline, "pending and not
/// overdue" is a range starting at the current height, and "reads as expired" is the stored
/// `Expired` range merged with the pending range below the current height. Each page reads at
/// most two ranges of `limit` entries, whatever the total.
pub fn key_requests_by_keyring(
    deps: Deps,
    env: Env,
    keyring_id: u64,
    status: KeyRequestStatus,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<KeyRequestsResponse, ContractError> {
    let limit = page_limit(limit);
    let height = env.block.height;
    let cursor = start_after
        .map(|id| load_key_request(deps.storage, id).map(|r| (r.deadline_height, r.id)))
        .transpose()?;
    // Pending requests with a deadline at or after this key are not overdue (ids start at 1).
    let not_overdue_from = (height, 0);
    let after_cursor = cursor.map(Bound::exclusive);

    let requests = match status {
        KeyRequestStatus::Pending => {
            let min = match cursor {
                Some(c) if c >= not_overdue_from => Bound::exclusive(c),
                _ => Bound::inclusive(not_overdue_from),
            };
            list_stored(deps.storage, keyring_id, status, Some(min), None, limit)?
        }
        KeyRequestStatus::Expired => {
            let settled = list_stored(deps.storage, keyring_id, status, after_cursor, None, limit)?;
            let overdue = list_stored(
                deps.storage,
                keyring_id,
                KeyRequestStatus::Pending,
                cursor.map(Bound::exclusive),
                Some(Bound::exclusive(not_overdue_from)),
                limit,
            )?;
            merge_by_deadline(settled, overdue, limit)
        }
        KeyRequestStatus::Fulfilled | KeyRequestStatus::Rejected => {
            list_stored(deps.storage, keyring_id, status, after_cursor, None, limit)?
        }
    };
    Ok(KeyRequestsResponse {
        requests: requests.iter().map(|r| r.to_response(height)).collect(),
    })
}

pub fn key(deps: Deps, key_id: u64) -> Result<KeyResponse, ContractError> {
    keys()
        .may_load(deps.storage, key_id)?
        .map(Into::into)
        .ok_or(ContractError::KeyNotFound { key_id })
}

pub fn keys_by_workspace(
    deps: Deps,
    workspace_id: u64,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<KeysResponse, ContractError> {
    let keys = keys()
        .idx
        .by_workspace
        .prefix(workspace_id)
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|item| item.map(|(_, k)| k.into()))
        .collect::<StdResult<_>>()?;
    Ok(KeysResponse { keys })
}

fn load_key_request(storage: &dyn Storage, request_id: u64) -> Result<KeyRequest, ContractError> {
    key_requests()
        .may_load(storage, request_id)?
        .ok_or(ContractError::KeyRequestNotFound { request_id })
}

/// Up to `limit` requests of a keyring stored in `status`, between (deadline, id) bounds.
fn list_stored(
    storage: &dyn Storage,
    keyring_id: u64,
    status: KeyRequestStatus,
    min: Option<Bound<(u64, u64)>>,
    max: Option<Bound<(u64, u64)>>,
    limit: usize,
) -> StdResult<Vec<KeyRequest>> {
    key_requests()
        .idx
        .by_keyring_status
        .sub_prefix((keyring_id, status.as_str().to_string()))
        .range(storage, min, max, Order::Ascending)
        .take(limit)
        .map(|item| item.map(|(_, r)| r))
        .collect()
}

/// Merges two lists sorted by (deadline, id) and keeps the first `limit`.
fn merge_by_deadline(a: Vec<KeyRequest>, b: Vec<KeyRequest>, limit: usize) -> Vec<KeyRequest> {
    let mut all = a;
    all.extend(b);
    all.sort_by_key(|r| (r.deadline_height, r.id));
    all.truncate(limit);
    all
}
