use cosmwasm_std::{Deps, Env, Order, StdResult};
use cw_storage_plus::Bound;
use mpc_interfaces::page_limit;
use mpc_interfaces::signature_requests::{
    ConfigResponse, PolicyEvaluationResponse, SignRequestStatus, SignatureRequestResponse,
    SignatureRequestsResponse,
};

use crate::error::ContractError;
use crate::state::{requests, SignatureRequest, AWAITING_APPROVER, CONFIG};

pub fn config(deps: Deps) -> StdResult<ConfigResponse> {
    let config = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse {
        workspace_contract: config.workspace_contract,
        keyring_contract: config.keyring_contract,
        approval_timeout_blocks: config.approval_timeout_blocks,
        mpc_timeout_blocks: config.mpc_timeout_blocks,
    })
}

pub fn request(
    deps: Deps,
    env: Env,
    request_id: u64,
) -> Result<SignatureRequestResponse, ContractError> {
    Ok(load(deps, request_id)?.to_response(env.block.height))
}

/// Requests of a keyring that read as `status` now. An open request past its deadline is listed
/// under `Expired`, not under its stored status, so the connector's `Pending` list holds only
/// requests it can still answer.
pub fn requests_by_keyring(
    deps: Deps,
    env: Env,
    keyring_id: u64,
    status: SignRequestStatus,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<SignatureRequestsResponse> {
    let height = env.block.height;
    let limit = page_limit(limit);
    // Stored statuses that can read as `status` at this height.
    let stored: &[SignRequestStatus] = match status {
        SignRequestStatus::Expired => &[
            SignRequestStatus::Expired,
            SignRequestStatus::Partial,
            SignRequestStatus::Pending,
        ],
        _ => std::slice::from_ref(&status),
    };
    // Each source is in id order; the first `limit` of their union is among their first `limit`s.
    let mut page: Vec<SignatureRequest> = vec![];
    for stored_status in stored {
        let source = requests()
            .idx
            .keyring_status
            .prefix((keyring_id, stored_status.as_str().to_string()))
            .range(
                deps.storage,
                start_after.map(Bound::exclusive),
                None,
                Order::Ascending,
            )
            .filter(|item| {
                item.as_ref()
                    .map_or(true, |(_, r)| r.status_at(height) == status)
            })
            .take(limit);
        for item in source {
            page.push(item?.1);
        }
    }
    page.sort_by_key(|r| r.id);
    page.truncate(limit);
    Ok(to_page(page, height))
}

pub fn requests_by_key(
    deps: Deps,
    env: Env,
    key_id: u64,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<SignatureRequestsResponse> {
    let items = requests()
        .idx
        .key
        .prefix(key_id)
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|item| item.map(|(_, r)| r))
        .collect::<StdResult<Vec<_>>>()?;
    Ok(to_page(items, env.block.height))
}

pub fn requests_by_workspace(
    deps: Deps,
    env: Env,
    workspace_id: u64,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<SignatureRequestsResponse> {
    let items = requests()
        .idx
        .workspace
        .prefix(workspace_id)
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|item| item.map(|(_, r)| r))
        .collect::<StdResult<Vec<_>>>()?;
    Ok(to_page(items, env.block.height))
}

pub fn requests_by_requester(
    deps: Deps,
    env: Env,
    requester: String,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<SignatureRequestsResponse> {
    let requester = deps.api.addr_validate(&requester)?;
    let items = requests()
        .idx
        .requester
        .prefix(requester)
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|item| item.map(|(_, r)| r))
        .collect::<StdResult<Vec<_>>>()?;
    Ok(to_page(items, env.block.height))
}

/// `partial` requests that `approver` may still vote on; overdue ones read as expired and are left out.
pub fn requests_awaiting_approver(
    deps: Deps,
    env: Env,
    approver: String,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<SignatureRequestsResponse> {
    let approver = deps.api.addr_validate(&approver)?;
    let height = env.block.height;
    let mut page = vec![];
    for request_id in AWAITING_APPROVER.prefix(&approver).keys(
        deps.storage,
        start_after.map(Bound::exclusive),
        None,
        Order::Ascending,
    ) {
        let request = requests().load(deps.storage, request_id?)?;
        if request.status_at(height) == SignRequestStatus::Partial {
            page.push(request);
            if page.len() == page_limit(limit) {
                break;
            }
        }
    }
    Ok(to_page(page, height))
}

pub fn policy_evaluation(
    deps: Deps,
    request_id: u64,
) -> Result<PolicyEvaluationResponse, ContractError> {
    let request = load(deps, request_id)?;
    Ok(PolicyEvaluationResponse {
        request_id,
        evaluation: request.evaluate(),
        policy: request.policy,
        approvals: request.approvals,
        rejections: request.rejections,
    })
}

fn load(deps: Deps, request_id: u64) -> Result<SignatureRequest, ContractError> {
    requests()
        .may_load(deps.storage, request_id)?
        .ok_or(ContractError::RequestNotFound { request_id })
}

fn to_page(items: Vec<SignatureRequest>, height: u64) -> SignatureRequestsResponse {
    SignatureRequestsResponse {
        requests: items.iter().map(|r| r.to_response(height)).collect(),
    }
}
