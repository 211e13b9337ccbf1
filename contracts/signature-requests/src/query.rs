use cosmwasm_std::{Deps, Env, Order, StdResult};
use mpc_contract_kit::deadline_list::{DeadlinePage, Listing};
use mpc_contract_kit::paging::{bound_after, paginate_values};
use mpc_interfaces::signature_requests::{
    ConfigResponse, PolicyEvaluationResponse, SignRequestStatus, SignatureRequestResponse,
    SignatureRequestsResponse,
};
use mpc_interfaces::workspace::{QueryMsg as WorkspaceQueryMsg, SignPolicyResponse};

use crate::error::ContractError;
use crate::state::{
    requests, SignatureRequest, SignatureRequestExt, AWAITING_APPROVER, CONFIG, OVERDUE,
};

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
    Ok(load(deps, request_id)?.into_response(env.block.height))
}

/// Requests of a keyring that read as `status` now, ordered by (deadline height, id); see
/// [`SignatureRequestExt::deadline_height`]. An open request past its deadline is listed under
/// `Expired`, not under its stored status, so the connector's `Pending` list holds only requests
/// it can still answer.
///
/// The index orders each stored status by deadline, so the open ones that are not overdue are a
/// range from the current height, and `Expired` merges the stored `Expired` range with the
/// overdue parts of the `Partial` and `Pending` ranges: a page reads at most three ranges of
/// `limit` entries, however many requests were left to expire.
pub fn requests_by_keyring(
    deps: Deps,
    env: Env,
    keyring_id: u64,
    status: SignRequestStatus,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<SignatureRequestsResponse, ContractError> {
    let height = env.block.height;
    let listing = match status {
        SignRequestStatus::Partial | SignRequestStatus::Pending => Listing::Open(status),
        SignRequestStatus::Expired => Listing::Expired {
            expired: status,
            open: &[SignRequestStatus::Partial, SignRequestStatus::Pending],
        },
        SignRequestStatus::Fulfilled | SignRequestStatus::Rejected => Listing::Final(status),
    };
    let page = DeadlinePage {
        overdue: OVERDUE,
        height,
        after: start_after
            .map(|id| load(deps, id).map(|r| r.position()))
            .transpose()?,
        limit,
    };
    let items = page.list(listing, |stored, min, max| {
        Box::new(
            requests()
                .idx
                .keyring_status
                .sub_prefix((keyring_id, stored.as_str().to_string()))
                .range(deps.storage, min, max, Order::Ascending)
                .map(|item| item.map(|(_, r)| (r.position(), r))),
        )
    })?;
    Ok(to_page(items, height))
}

pub fn requests_by_key(
    deps: Deps,
    env: Env,
    key_id: u64,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<SignatureRequestsResponse> {
    let items = paginate_values(
        requests().idx.key.prefix(key_id).range(
            deps.storage,
            bound_after(start_after),
            None,
            Order::Ascending,
        ),
        limit,
    )?;
    Ok(to_page(items, env.block.height))
}

pub fn requests_by_workspace(
    deps: Deps,
    env: Env,
    workspace_id: u64,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<SignatureRequestsResponse> {
    let items = paginate_values(
        requests().idx.workspace.prefix(workspace_id).range(
            deps.storage,
            bound_after(start_after),
            None,
            Order::Ascending,
        ),
        limit,
    )?;
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
    let items = paginate_values(
        requests().idx.requester.prefix(requester).range(
            deps.storage,
            bound_after(start_after),
            None,
            Order::Ascending,
        ),
        limit,
    )?;
    Ok(to_page(items, env.block.height))
}

/// `partial` requests that `approver` may still vote on, ordered by (approval deadline height,
/// id); overdue ones read as expired and are left out. Their entries come first in the
/// deadline-ordered index, so the page starts past them all with a range bound.
pub fn requests_awaiting_approver(
    deps: Deps,
    env: Env,
    approver: String,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<SignatureRequestsResponse, ContractError> {
    let approver = deps.api.addr_validate(&approver)?;
    let height = env.block.height;
    let page = DeadlinePage {
        overdue: OVERDUE,
        height,
        after: start_after
            .map(|id| load(deps, id).map(|r| (r.approval_deadline_height, r.id)))
            .transpose()?,
        limit,
    };
    let ids = page.list(Listing::Open(()), |(), min, max| {
        Box::new(
            AWAITING_APPROVER
                .sub_prefix(&approver)
                .keys(deps.storage, min, max, Order::Ascending)
                .map(|key| key.map(|position| (position, position.1))),
        )
    })?;
    let items = ids
        .into_iter()
        .map(|id| requests().load(deps.storage, id))
        .collect::<StdResult<_>>()?;
    Ok(to_page(items, height))
}

/// A `partial` request is evaluated by the sign policy and owners in force now, as the next vote
/// would be; any other request by what was recorded when it left `partial`.
pub fn policy_evaluation(
    deps: Deps,
    env: Env,
    request_id: u64,
) -> Result<PolicyEvaluationResponse, ContractError> {
    let mut request = load(deps, request_id)?;
    if request.status_at(env.block.height) == SignRequestStatus::Partial {
        let config = CONFIG.load(deps.storage)?;
        let in_force: SignPolicyResponse = deps.querier.query_wasm_smart(
            &config.workspace_contract,
            &WorkspaceQueryMsg::SignPolicy {
                workspace_id: request.workspace_id,
                key_id: Some(request.key_id),
            },
        )?;
        request.refresh(in_force);
    }
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
        requests: items.into_iter().map(|r| r.into_response(height)).collect(),
    }
}
