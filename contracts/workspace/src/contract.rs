//! Instantiate, migrate, and the dispatch of execute and query messages.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Response};
use mpc_contract_kit::config;
use mpc_contract_kit::contract::json;
use mpc_interfaces::workspace::{
    ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, DEFAULT_ACTION_TIMEOUT_BLOCKS,
};

use crate::error::ContractResult;
use crate::state::{Config, CONFIG};
use crate::{execute as exec, query as queries};

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(deps: DepsMut, _: Env, _: MessageInfo, msg: InstantiateMsg) -> ContractResult {
    let action_timeout_blocks = exec::validate_timeout(
        "action_timeout_blocks",
        msg.action_timeout_blocks.unwrap_or(DEFAULT_ACTION_TIMEOUT_BLOCKS),
    )?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    CONFIG.save(deps.storage, &Config { action_timeout_blocks })?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("action_timeout_blocks", action_timeout_blocks.to_string()))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> ContractResult {
    match msg {
        ExecuteMsg::CreateWorkspace {
            additional_owners: owners,
            admin_policy,
            sign_policy,
            alias,
        } => exec::create_workspace(deps, env, info, owners, admin_policy, sign_policy, alias),
        ExecuteMsg::CreateChildWorkspace { parent_id, alias } => {
            exec::create_child_workspace(deps, env, info, parent_id, alias)
        }
        ExecuteMsg::AppendChildWorkspace { parent_id, child_id } => {
            exec::append_child_workspace(deps, info, parent_id, child_id)
        }
        ExecuteMsg::ProposeAction { workspace_id, action, timeout_blocks } => {
            exec::propose_action(deps, env, info, workspace_id, action, timeout_blocks)
        }
        ExecuteMsg::ApproveAction { action_id } => {
            exec::cast_vote(deps, env, info, action_id, true)
        }
        ExecuteMsg::RejectAction { action_id } => {
            exec::cast_vote(deps, env, info, action_id, false)
        }
        ExecuteMsg::ExecuteAction { action_id } => exec::execute_action(deps, env, info, action_id),
        ExecuteMsg::CancelAction { action_id } => exec::cancel_action(deps, env, info, action_id),
        ExecuteMsg::ExpireActions { action_ids } => {
            exec::expire_actions(deps, env, info, action_ids)
        }
        ExecuteMsg::UpdateConfig { action_timeout_blocks } => {
            config::update(deps, &env, &info, |deps| {
                exec::apply_config(deps, MigrateMsg { action_timeout_blocks })
            })
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> ContractResult<Binary> {
    match msg {
        QueryMsg::Config {} => json(queries::config(deps)),
        QueryMsg::Workspace { workspace_id } => json(queries::workspace(deps, workspace_id)),
        QueryMsg::Workspaces { start_after, limit } => {
            json(queries::workspaces(deps, start_after, limit))
        }
        QueryMsg::WorkspacesByOwner { owner, start_after, limit } => {
            json(queries::workspaces_by_owner(deps, owner, start_after, limit))
        }
        QueryMsg::IsOwner { workspace_id, address } => {
            json(queries::is_owner(deps, workspace_id, address))
        }
        QueryMsg::SignPolicy { workspace_id, key_id } => {
            json(queries::sign_policy(deps, workspace_id, key_id))
        }
        QueryMsg::KeyPolicies { workspace_id, start_after, limit } => {
            json(queries::key_policies(deps, workspace_id, start_after, limit))
        }
        QueryMsg::Action { action_id } => json(queries::action(deps, env, action_id)),
        QueryMsg::ActionsByWorkspace { workspace_id, status, start_after, limit } => {
            json(queries::actions_of(deps, env, workspace_id, status, start_after, limit))
        }
        QueryMsg::ActionsAwaitingApprover { approver, start_after, limit } => {
            json(queries::awaiting_approver(deps, env, approver, start_after, limit))
        }
    }
}

mpc_contract_kit::versioned_contract!(exec::apply_config);
