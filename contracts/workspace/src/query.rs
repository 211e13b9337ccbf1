//! One function per query message. Every list pages with `start_after` + `limit` over an index.

use cosmwasm_std::{Addr, Deps, Env, Order, StdResult};
use cw_storage_plus::Bound;
use mpc_interfaces::page_limit;
use mpc_interfaces::workspace::{
    AdminActionResponse, AdminActionStatus, AdminActionsResponse, ConfigResponse, IsOwnerResponse,
    SignPolicyResponse, WorkspaceResponse, WorkspacesResponse,
};

use crate::error::ContractError;
use crate::state::{
    load_action, load_workspace, status_index, ActionRecord, Workspace, ACTIONS_BY_WORKSPACE,
    AWAITING_APPROVER, CONFIG, WORKSPACES, WORKSPACES_BY_OWNER,
};

/// Position of an action in the deadline-ordered indexes: (expires_height, action_id).
type DeadlineKey = (u64, u64);

pub fn config(deps: Deps) -> Result<ConfigResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse {
        action_timeout_blocks: config.action_timeout_blocks,
    })
}

pub fn workspace(deps: Deps, workspace_id: u64) -> Result<WorkspaceResponse, ContractError> {
    let workspace = load_workspace(deps.storage, workspace_id)?;
    Ok(workspace_response(workspace_id, workspace))
}

pub fn workspaces(
    deps: Deps,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<WorkspacesResponse, ContractError> {
    let workspaces = WORKSPACES
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|item| item.map(|(id, workspace)| workspace_response(id, workspace)))
        .collect::<StdResult<_>>()?;
    Ok(WorkspacesResponse { workspaces })
}

pub fn workspaces_by_owner(
    deps: Deps,
    owner: String,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<WorkspacesResponse, ContractError> {
    let owner = deps.api.addr_validate(&owner)?;
    let workspaces = WORKSPACES_BY_OWNER
        .prefix(&owner)
        .keys(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|id| {
            let id = id?;
            Ok(workspace_response(id, load_workspace(deps.storage, id)?))
        })
        .collect::<Result<_, ContractError>>()?;
    Ok(WorkspacesResponse { workspaces })
}

pub fn is_owner(
    deps: Deps,
    workspace_id: u64,
    address: String,
) -> Result<IsOwnerResponse, ContractError> {
    let address = deps.api.addr_validate(&address)?;
    let workspace = load_workspace(deps.storage, workspace_id)?;
    Ok(IsOwnerResponse {
        is_owner: workspace.is_owner(&address),
    })
}

pub fn sign_policy(deps: Deps, workspace_id: u64) -> Result<SignPolicyResponse, ContractError> {
    let workspace = load_workspace(deps.storage, workspace_id)?;
    Ok(SignPolicyResponse {
        workspace_id,
        policy: workspace.effective_sign_policy(),
        owners: workspace.owners,
    })
}

pub fn action(deps: Deps, env: Env, action_id: u64) -> Result<AdminActionResponse, ContractError> {
    let record = load_action(deps.storage, action_id)?;
    Ok(action_response(action_id, record, env.block.height))
}

pub fn actions_by_workspace(
    deps: Deps,
    env: Env,
    workspace_id: u64,
    status: Option<AdminActionStatus>,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<AdminActionsResponse, ContractError> {
    load_workspace(deps.storage, workspace_id)?;
    let limit = page_limit(limit);
    let height = env.block.height;
    let ids: Vec<u64> = match status {
        None => ACTIONS_BY_WORKSPACE
            .prefix(workspace_id)
            .keys(
                deps.storage,
                start_after.map(Bound::exclusive),
                None,
                Order::Ascending,
            )
            .take(limit)
            .collect::<StdResult<_>>()?,
        Some(status) => {
            let cursor = deadline_cursor(deps, start_after)?;
            // Stored `Pending` actions split at the current height: those due later are pending,
            // the overdue ones read as expired. Keys below `first_open` are the overdue ones.
            let first_open = (height.saturating_add(1), 0);
            let pending = status_index(AdminActionStatus::Pending);
            let keys = match status {
                AdminActionStatus::Pending => pending
                    .sub_prefix(workspace_id)
                    .keys(
                        deps.storage,
                        lower_bound(cursor, Some(first_open)),
                        None,
                        Order::Ascending,
                    )
                    .take(limit)
                    .collect::<StdResult<Vec<_>>>()?,
                AdminActionStatus::Expired => {
                    let mut keys = status_index(AdminActionStatus::Expired)
                        .sub_prefix(workspace_id)
                        .keys(
                            deps.storage,
                            lower_bound(cursor, None),
                            None,
                            Order::Ascending,
                        )
                        .take(limit)
                        .collect::<StdResult<Vec<_>>>()?;
                    // Guard: a range whose start lies past its end is empty, not an error.
                    if cursor.is_none_or(|cursor| cursor < first_open) {
                        let overdue = pending
                            .sub_prefix(workspace_id)
                            .keys(
                                deps.storage,
                                lower_bound(cursor, None),
                                Some(Bound::exclusive(first_open)),
                                Order::Ascending,
                            )
                            .take(limit)
                            .collect::<StdResult<Vec<_>>>()?;
                        keys.extend(overdue);
                    }
                    // Both runs are in deadline order; merge them and keep one page.
                    keys.sort_unstable();
                    keys.truncate(limit);
                    keys
                }
                final_status => status_index(final_status)
                    .sub_prefix(workspace_id)
                    .keys(
                        deps.storage,
                        lower_bound(cursor, None),
                        None,
                        Order::Ascending,
                    )
                    .take(limit)
                    .collect::<StdResult<Vec<_>>>()?,
            };
            keys.into_iter().map(|(_, id)| id).collect()
        }
    };
    actions_response(deps, &ids, height)
}

pub fn actions_awaiting_approver(
    deps: Deps,
    env: Env,
    approver: String,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<AdminActionsResponse, ContractError> {
    let approver = deps.api.addr_validate(&approver)?;
    let height = env.block.height;
    let cursor = deadline_cursor(deps, start_after)?;
    // Entries due at or before the current height belong to overdue actions: the bound skips
    // them all at once, so the page stays bounded however many were never settled.
    let ids: Vec<u64> = AWAITING_APPROVER
        .sub_prefix(&approver)
        .keys(
            deps.storage,
            lower_bound(cursor, Some((height.saturating_add(1), 0))),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|key| key.map(|(_, id)| id))
        .collect::<StdResult<_>>()?;
    actions_response(deps, &ids, height)
}

/// The deadline-index position of the `start_after` action.
fn deadline_cursor(
    deps: Deps,
    start_after: Option<u64>,
) -> Result<Option<DeadlineKey>, ContractError> {
    start_after
        .map(|id| Ok((load_action(deps.storage, id)?.expires_height, id)))
        .transpose()
}

/// The stricter of "after the cursor" and "at or after the floor".
fn lower_bound(
    cursor: Option<DeadlineKey>,
    floor: Option<DeadlineKey>,
) -> Option<Bound<'static, DeadlineKey>> {
    match (cursor, floor) {
        (Some(cursor), Some(floor)) if cursor < floor => Some(Bound::inclusive(floor)),
        (Some(cursor), _) => Some(Bound::exclusive(cursor)),
        (None, Some(floor)) => Some(Bound::inclusive(floor)),
        (None, None) => None,
    }
}

fn actions_response(
    deps: Deps,
    ids: &[u64],
    height: u64,
) -> Result<AdminActionsResponse, ContractError> {
    let actions = ids
        .iter()
        .map(|&id| Ok(action_response(id, load_action(deps.storage, id)?, height)))
        .collect::<Result<_, ContractError>>()?;
    Ok(AdminActionsResponse { actions })
}

fn action_response(id: u64, record: ActionRecord, height: u64) -> AdminActionResponse {
    let status = record.status_at(height);
    let mut evaluation = record.evaluate();
    if status.is_final() {
        // Nobody can vote on a final action any more.
        evaluation.awaiting.clear();
    }
    let to_addrs = |list: Vec<String>| list.into_iter().map(Addr::unchecked).collect();
    AdminActionResponse {
        id,
        workspace_id: record.workspace_id,
        proposer: record.proposer,
        action: record.action,
        status,
        approvals: to_addrs(record.approvals),
        rejections: to_addrs(record.rejections),
        created_height: record.created_height,
        expires_height: record.expires_height,
        evaluation,
    }
}

fn workspace_response(id: u64, workspace: Workspace) -> WorkspaceResponse {
    WorkspaceResponse {
        id,
        creator: workspace.creator,
        owners: workspace.owners,
        admin_policy: workspace.admin_policy,
        sign_policy: workspace.sign_policy,
        alias: workspace.alias,
        parent_id: workspace.parent_id,
        children: workspace.children,
        created_height: workspace.created_height,
    }
}
