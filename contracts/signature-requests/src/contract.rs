#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Reply, Response, SubMsgResult,
};
use cw2::set_contract_version;
use mpc_contract_kit::config;
use mpc_interfaces::events::{action, attr};
use mpc_interfaces::keyring::KeyringContract;
use mpc_interfaces::signature_requests::{
    ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, MAX_REASON_LEN,
};
use mpc_interfaces::workspace::WorkspaceContract;

use crate::error::ContractError;
use crate::execute::{self, request_event};
use crate::query;
use crate::state::{load_request, Config, Owner, CONFIG};

pub const CONTRACT_NAME: &str = concat!("crates.io:", env!("CARGO_PKG_NAME"));
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Default blocks for approvals and for the MPC answer.
pub const DEFAULT_TIMEOUT_BLOCKS: u64 = 1_000;

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    let config = Config {
        workspace_contract: WorkspaceContract(deps.api.addr_validate(&msg.workspace_contract)?),
        keyring_contract: KeyringContract(deps.api.addr_validate(&msg.keyring_contract)?),
        approval_timeout_blocks: positive_timeout(
            "approval_timeout_blocks",
            msg.approval_timeout_blocks,
        )?,
        mpc_timeout_blocks: positive_timeout("mpc_timeout_blocks", msg.mpc_timeout_blocks)?,
    };
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("workspace_contract", config.workspace_contract.0)
        .add_attribute("keyring_contract", config.keyring_contract.0))
}

fn positive_timeout(name: &str, blocks: Option<u64>) -> Result<u64, ContractError> {
    execute::nonzero_timeout(name, blocks.unwrap_or(DEFAULT_TIMEOUT_BLOCKS))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::RequestSignature {
            key_id,
            items,
            approval_timeout_blocks,
            mpc_timeout_blocks,
            callback,
        } => execute::request_signature(
            deps,
            env,
            info,
            key_id,
            items,
            approval_timeout_blocks,
            mpc_timeout_blocks,
            callback,
        ),
        ExecuteMsg::Approve { request_id } => execute::vote(deps, env, info, request_id, true),
        ExecuteMsg::Reject { request_id } => execute::vote(deps, env, info, request_id, false),
        ExecuteMsg::SubmitSignatureResult { request_id, result } => {
            execute::submit_signature_result(deps, env, info, request_id, result)
        }
        ExecuteMsg::Expire { request_ids } => execute::expire(deps, env, info, request_ids),
        ExecuteMsg::UpdateConfig {
            workspace_contract,
            keyring_contract,
            approval_timeout_blocks,
            mpc_timeout_blocks,
        } => config::update(deps, &env, &info, |deps| {
            execute::apply_config(
                deps,
                MigrateMsg {
                    workspace_contract,
                    keyring_contract,
                    approval_timeout_blocks,
                    mpc_timeout_blocks,
                },
            )
        }),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    let binary = match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?),
        QueryMsg::Request { request_id } => to_json_binary(&query::request(deps, env, request_id)?),
        QueryMsg::RequestsByKeyring {
            keyring_id,
            status,
            start_after,
            limit,
        } => to_json_binary(&query::requests_by_keyring(
            deps,
            env,
            keyring_id,
            status,
            start_after,
            limit,
        )?),
        QueryMsg::RequestsByKey {
            key_id,
            start_after,
            limit,
        } => to_json_binary(&query::requests_by(
            deps,
            env,
            Owner::Key(key_id),
            start_after,
            limit,
        )?),
        QueryMsg::RequestsByWorkspace {
            workspace_id,
            start_after,
            limit,
        } => to_json_binary(&query::requests_by(
            deps,
            env,
            Owner::Workspace(workspace_id),
            start_after,
            limit,
        )?),
        QueryMsg::RequestsByRequester {
            requester,
            start_after,
            limit,
        } => {
            let requester = deps.api.addr_canonicalize(&requester)?;
            to_json_binary(&query::requests_by(
                deps,
                env,
                Owner::Requester(requester.as_slice()),
                start_after,
                limit,
            )?)
        }
        QueryMsg::RequestsAwaitingApprover {
            approver,
            start_after,
            limit,
        } => to_json_binary(&query::requests_awaiting_approver(
            deps,
            env,
            approver,
            start_after,
            limit,
        )?),
        QueryMsg::PolicyEvaluation { request_id } => {
            to_json_binary(&query::policy_evaluation(deps, request_id)?)
        }
    }?;
    Ok(binary)
}

/// Only failed callbacks reply (`ReplyOn::Error`). Swallowing the error keeps the settlement
/// that sent the callback; the event tells the receiver's operator what went wrong.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(deps: DepsMut, _env: Env, msg: Reply) -> Result<Response, ContractError> {
    let request = load_request(deps.storage, msg.id)?;
    let error = match msg.result {
        SubMsgResult::Err(error) => error,
        SubMsgResult::Ok(_) => String::new(),
    };
    Ok(Response::new().add_event(
        request_event(action::CALLBACK_FAILED, &request)
            .add_attribute(attr::REASON, truncate(&error, MAX_REASON_LEN)),
    ))
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Migrations only move forward, and only from this contract; the message's config changes are
/// applied as `UpdateConfig` applies them.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, msg: MigrateMsg) -> Result<Response, ContractError> {
    config::migrate(deps, CONTRACT_NAME, CONTRACT_VERSION, |deps| {
        execute::apply_config(deps, msg)
    })
}
