//! One function per query message. Every list pages with `start_after` + `limit` over an index.

use cosmwasm_std::{Deps, Env, Order, Storage};
use cw_storage_plus::Bound;
use mpc_contract_kit::awaiting::{self, Candidates};
use mpc_contract_kit::deadline_list::{DeadlinePage, Listing};
use mpc_contract_kit::lifecycle::{Deadline, Record};
use mpc_contract_kit::paging::{bound_after, ids_page, paginate};
use mpc_interfaces::workspace::{
    ActionsAwaitingApproverResponse, AdminActionResponse, AdminActionStatus, AdminActionsResponse,
    ConfigResponse, IsOwnerResponse, KeyPoliciesResponse, KeyPolicy, SignPolicyResponse,
    WorkspaceResponse, WorkspacesResponse,
};
use mpc_interfaces::InboxCursor;

use crate::error::ContractResult;
use crate::state::{
    in_force, load_action, load_workspace, Action, ACTIONS, ACTIONS_BY_WORKSPACE, BY_STATUS,
    CONFIG, KEY_POLICIES, WORKSPACES, WORKSPACES_BY_OWNER,
};

pub fn config(deps: Deps) -> ContractResult<ConfigResponse> {
    let config = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse { action_timeout_blocks: config.action_timeout_blocks })
}

pub fn workspace(deps: Deps, workspace_id: u64) -> ContractResult<WorkspaceResponse> {
    let workspace = load_workspace(deps.storage, workspace_id)?;
    Ok(workspace)
}

pub fn workspaces(
    deps: Deps, start_after: Option<u64>, limit: Option<u32>,
) -> ContractResult<WorkspacesResponse> {
    let workspaces = paginate(
        WORKSPACES
            .range(deps.storage, bound_after(start_after), None, Order::Ascending)
            .map(|item| item.map(|(_, workspace)| workspace)),
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
        .map(|id| load_workspace(deps.storage, id))
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
        memberships: workspace.memberships,
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
    action_response(deps.storage, load_action(deps.storage, action_id)?, env.block.height)
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
            let after = start_after
                .map(|id| load_action(deps.storage, id).map(|action| action.position()))
                .transpose()?;
            DeadlinePage { height, after, limit }.list(listing, |stored, min, max| {
                let positions = BY_STATUS.positions(deps.storage, workspace_id, stored, min, max);
                Box::new(positions.map(|key| key.map(|position| (position, position.1))))
            })?
        }
    };
    let actions = ids
        .into_iter()
        .map(|id| action_response(deps.storage, load_action(deps.storage, id)?, height))
        .collect::<ContractResult<_>>()?;
    Ok(AdminActionsResponse { actions })
}

/// Computed at query time (see `mpc_contract_kit::awaiting`): the approver's workspaces, and in
/// each where the admin policy in force lets them vote, the open actions (not overdue) without a
/// vote of theirs that counts.
pub fn awaiting_approver(
    deps: Deps, env: Env, approver: String, start_after: Option<InboxCursor>, limit: Option<u32>,
) -> ContractResult<ActionsAwaitingApproverResponse> {
    let approver = deps.api.addr_validate(&approver)?;
    let height = env.block.height;
    let from = start_after.map(|cursor| Bound::inclusive(cursor.workspace_id));
    let workspaces =
        WORKSPACES_BY_OWNER.prefix(&approver).keys(deps.storage, from, None, Order::Ascending);
    let (actions, next) = awaiting::page(start_after, limit, workspaces, |workspace_id, after| {
        let workspace = WORKSPACES.load(deps.storage, workspace_id)?;
        let admin_policy = workspace.effective_admin_policy();
        if !in_force(&workspace, &admin_policy).is_eligible(&approver) {
            return Ok(Box::new(std::iter::empty()) as Candidates<_>);
        }
        // The later of "after the cursor" and "from the first position not overdue".
        let first_open = (Deadline::first_open(height).height(), 0);
        let min = match after {
            Some(id) => {
                let position = ACTIONS
                    .load(deps.storage, id)
                    .map(|record| Action { id, record }.position())?;
                Bound::exclusive(position.max(first_open))
            }
            None => Bound::inclusive(first_open),
        };
        let approver = approver.clone();
        let positions = BY_STATUS.positions(
            deps.storage,
            workspace_id,
            AdminActionStatus::Pending,
            Some(min),
            None,
        );
        Ok(Box::new(positions.map(move |position| {
            let (_, id) = position?;
            let action = Action { id, record: ACTIONS.load(deps.storage, id)? };
            let in_force = in_force(&workspace, &admin_policy);
            let counted = action.counted(&in_force);
            let awaits = counted.evaluate(&in_force).satisfiable && !counted.has_voted(&approver);
            Ok((id, awaits.then_some(action)))
        })))
    })?;
    let actions = actions
        .into_iter()
        .map(|action| action_response(deps.storage, action, height))
        .collect::<ContractResult<_>>()?;
    Ok(ActionsAwaitingApproverResponse { actions, next })
}

/// An action as seen at `height`; an open action is evaluated by the admin policy and owners in
/// force now, as the next vote would be, and shows only the votes that count.
fn action_response(
    storage: &dyn Storage, action: Action, height: u64,
) -> ContractResult<AdminActionResponse> {
    let status = action.status_at(height);
    let workspace = load_workspace(storage, action.record.workspace_id)?;
    let admin_policy = workspace.effective_admin_policy();
    let in_force = in_force(&workspace, &admin_policy);
    // An open action shows the votes that count now; a settled one the votes it settled with.
    let counted = if action.stored_status().is_final() {
        action.as_cast()
    } else {
        action.counted(&in_force)
    };
    let mut evaluation = counted.evaluate(&in_force);
    if status.is_final() {
        // Nobody can vote on a final action any more.
        evaluation.awaiting.clear();
    }
    let record = action.record;
    Ok(AdminActionResponse {
        id: action.id,
        workspace_id: record.workspace_id,
        proposer: record.proposer,
        action: record.action,
        status,
        approvals: counted.approvals,
        rejections: counted.rejections,
        created_height: record.created_height,
        deadline_height: record.deadline.height(),
        evaluation,
    })
}
