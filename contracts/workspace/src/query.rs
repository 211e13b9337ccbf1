//! One function per query message. Every list pages with `start_after` + `limit` over an index.

use cosmwasm_std::{Addr, Deps, Env, Order, StdResult, Storage};
use mpc_contract_kit::deadline_list::{DeadlinePage, Entries, Listing, Position};
use mpc_contract_kit::paging::{bound_after, ids_page, paginate};
use mpc_interfaces::workspace::{
    AdminActionResponse, AdminActionStatus, AdminActionsResponse, ConfigResponse, IsOwnerResponse,
    KeyPoliciesResponse, KeyPolicy, SignPolicyResponse, WorkspaceResponse, WorkspacesResponse,
};

use crate::error::ContractResult;
use crate::state::{
    load_action, load_workspace, status_index, ActionRecord, Workspace, ACTIONS,
    ACTIONS_BY_WORKSPACE, AWAITING_APPROVER, CONFIG, KEY_POLICIES, WORKSPACES, WORKSPACES_BY_OWNER,
};

pub fn config(deps: Deps) -> ContractResult<ConfigResponse> {
    let config = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse { action_timeout_blocks: config.action_timeout_blocks })
}

pub fn workspace(deps: Deps, workspace_id: u64) -> ContractResult<WorkspaceResponse> {
    let workspace = load_workspace(deps.storage, workspace_id)?;
    Ok(workspace_response(workspace_id, workspace))
}

pub fn workspaces(
    deps: Deps, start_after: Option<u64>, limit: Option<u32>,
) -> ContractResult<WorkspacesResponse> {
    let workspaces = paginate(
        WORKSPACES
            .range(deps.storage, bound_after(start_after), None, Order::Ascending)
            .map(|item| item.map(|(id, workspace)| workspace_response(id, workspace))),
        limit,
    )?;
    Ok(WorkspacesResponse { workspaces })
}

pub fn workspaces_by_owner(
    deps: Deps, owner: String, start_after: Option<u64>, limit: Option<u32>,
) -> ContractResult<WorkspacesResponse> {
    let owner = deps.api.addr_validate(&owner)?;
    let ids = ids_page(deps.storage, WORKSPACES_BY_OWNER.prefix(&owner), start_after, limit)?;
    let workspaces = ids
        .into_iter()
        .map(|id| Ok(workspace_response(id, load_workspace(deps.storage, id)?)))
        .collect::<ContractResult<_>>()?;
    Ok(WorkspacesResponse { workspaces })
}

pub fn is_owner(deps: Deps, workspace_id: u64, address: String) -> ContractResult<IsOwnerResponse> {
    let address = deps.api.addr_validate(&address)?;
    let workspace = load_workspace(deps.storage, workspace_id)?;
    Ok(IsOwnerResponse { is_owner: workspace.is_owner(&address) })
}

pub fn sign_policy(
    deps: Deps, workspace_id: u64, key_id: Option<u64>,
) -> ContractResult<SignPolicyResponse> {
    let workspace = load_workspace(deps.storage, workspace_id)?;
    let key_policy = match key_id {
        Some(key_id) => KEY_POLICIES.may_load(deps.storage, (workspace_id, key_id))?,
        None => None,
    };
    Ok(SignPolicyResponse {
        workspace_id,
        key_policy: key_policy.is_some(),
        policy: key_policy.unwrap_or_else(|| workspace.effective_sign_policy()),
        owners: workspace.owners,
    })
}

pub fn key_policies(
    deps: Deps, workspace_id: u64, start_after: Option<u64>, limit: Option<u32>,
) -> ContractResult<KeyPoliciesResponse> {
    load_workspace(deps.storage, workspace_id)?;
    let key_policies = paginate(
        KEY_POLICIES
            .prefix(workspace_id)
            .range(deps.storage, bound_after(start_after), None, Order::Ascending)
            .map(|item| item.map(|(key_id, policy)| KeyPolicy { key_id, policy })),
        limit,
    )?;
    Ok(KeyPoliciesResponse { key_policies })
}

pub fn action(deps: Deps, env: Env, action_id: u64) -> ContractResult<AdminActionResponse> {
    let record = load_action(deps.storage, action_id)?;
    action_response(deps.storage, action_id, record, env.block.height)
}

pub fn actions_of(
    deps: Deps, env: Env, workspace_id: u64, status: Option<AdminActionStatus>,
    start_after: Option<u64>, limit: Option<u32>,
) -> ContractResult<AdminActionsResponse> {
    load_workspace(deps.storage, workspace_id)?;
    let height = env.block.height;
    let ids: Vec<u64> = match status {
        None => {
            ids_page(deps.storage, ACTIONS_BY_WORKSPACE.prefix(workspace_id), start_after, limit)?
        }
        Some(status) => {
            let listing = Listing::of(status, &[AdminActionStatus::Pending]);
            deadline_page(deps, height, start_after, limit)?.list(listing, |stored, min, max| {
                positions(status_index(stored).sub_prefix(workspace_id).keys(
                    deps.storage,
                    min,
                    max,
                    Order::Ascending,
                ))
            })?
        }
    };
    actions_response(deps, &ids, height)
}

pub fn awaiting_approver(
    deps: Deps, env: Env, approver: String, start_after: Option<u64>, limit: Option<u32>,
) -> ContractResult<AdminActionsResponse> {
    let canonical = deps.api.addr_canonicalize(&approver)?;
    let approver = deps.api.addr_humanize(&canonical)?.into_string();
    let height = env.block.height;
    // An entry names an approver the action awaited at its last vote; an owner or admin policy
    // change executed since then (by another action) can leave entries of actions that no
    // longer await this approver, so each is checked against the action as the next vote sees it.
    let awaits = move |id: u64| -> StdResult<bool> {
        let mut record = ACTIONS.load(deps.storage, id)?;
        record.refresh(&WORKSPACES.load(deps.storage, record.workspace_id)?);
        Ok(record.status == AdminActionStatus::Pending
            && record.evaluate().awaiting.contains(&approver))
    };
    // Entries of overdue actions come before the first open position: the page starts past
    // them all at once, so it stays bounded however many were never settled.
    let ids = deadline_page(deps, height, start_after, limit)?.list(
        Listing::Open(()),
        |(), min, max| {
            let awaits = awaits.clone();
            positions(Box::new(
                AWAITING_APPROVER
                    .sub_prefix(canonical.as_slice())
                    .keys(deps.storage, min, max, Order::Ascending)
                    .filter_map(move |key| {
                        match key.and_then(|position| Ok((position, awaits(position.1)?))) {
                            Ok((_, false)) => None,
                            Ok((position, true)) => Some(Ok(position)),
                            Err(err) => Some(Err(err)),
                        }
                    }),
            ))
        },
    )?;
    actions_response(deps, &ids, height)
}

/// A page of a deadline-ordered action index, continuing after the `start_after` action.
fn deadline_page(
    deps: Deps, height: u64, start_after: Option<u64>, limit: Option<u32>,
) -> ContractResult<DeadlinePage> {
    let after = start_after
        .map(|id| load_action(deps.storage, id).map(|action| action.position(id)))
        .transpose()?;
    Ok(DeadlinePage { height, after, limit })
}

/// The keys of a deadline-ordered index, each with the action id it lists.
fn positions<'a>(keys: Box<dyn Iterator<Item = StdResult<Position>> + 'a>) -> Entries<'a, u64> {
    Box::new(keys.map(|key| key.map(|position| (position, position.1))))
}

fn actions_response(deps: Deps, ids: &[u64], height: u64) -> ContractResult<AdminActionsResponse> {
    let actions = ids
        .iter()
        .map(|&id| action_response(deps.storage, id, load_action(deps.storage, id)?, height))
        .collect::<ContractResult<_>>()?;
    Ok(AdminActionsResponse { actions })
}

/// An action as seen at `height`; an open action is evaluated by the admin policy and owners in
/// force now, as the next vote would be.
fn action_response(
    storage: &dyn Storage, id: u64, mut record: ActionRecord, height: u64,
) -> ContractResult<AdminActionResponse> {
    let status = record.status_at(height);
    if status == AdminActionStatus::Pending {
        record.refresh(&load_workspace(storage, record.workspace_id)?);
    }
    let mut evaluation = record.evaluate();
    if status.is_final() {
        // Nobody can vote on a final action any more.
        evaluation.awaiting.clear();
    }
    let to_addrs = |list: Vec<String>| list.into_iter().map(Addr::unchecked).collect();
    Ok(AdminActionResponse {
        id,
        workspace_id: record.workspace_id,
        proposer: record.proposer,
        action: record.action,
        status,
        approvals: to_addrs(record.approvals),
        rejections: to_addrs(record.rejections),
        created_height: record.created_height,
        deadline_height: record.deadline.height(),
        evaluation,
    })
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
