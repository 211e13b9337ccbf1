#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Reply, Response, SubMsgResult};
use cw2::set_contract_version;
use mpc_contract_kit::config;
use mpc_contract_kit::contract::json;
use mpc_interfaces::events::{action, attr};
use mpc_interfaces::keyring::KeyringContract;
use mpc_interfaces::signature_requests::{
    ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, DEFAULT_TIMEOUT_BLOCKS, MAX_REASON_LEN,
};
use mpc_interfaces::workspace::WorkspaceContract;

use crate::error::ContractResult;
use crate::execute::{self, request_event};
use crate::query;
use crate::state::{load_request, Config, Owner, CONFIG};

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(deps: DepsMut, _: Env, _: MessageInfo, msg: InstantiateMsg) -> ContractResult {
    let config = Config {
        workspace_contract: WorkspaceContract(deps.api.addr_validate(&msg.workspace_contract)?),
        keyring_contract: KeyringContract(deps.api.addr_validate(&msg.keyring_contract)?),
        approval_timeout_blocks: execute::default_timeout(
            "approval_timeout_blocks",
            msg.approval_timeout_blocks.unwrap_or(DEFAULT_TIMEOUT_BLOCKS),
        )?,
        mpc_timeout_blocks: execute::default_timeout(
            "mpc_timeout_blocks",
            msg.mpc_timeout_blocks.unwrap_or(DEFAULT_TIMEOUT_BLOCKS),
        )?,
    };
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("workspace_contract", config.workspace_contract.0)
        .add_attribute("keyring_contract", config.keyring_contract.0))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> ContractResult {
    match msg {
        ExecuteMsg::RequestSignature {
            key_id,
            items,
            approval_timeout_blocks,
            mpc_timeout_blocks,
            callback,
            max_fee,
        } => execute::request_signature(
            deps,
            env,
            info,
            key_id,
            execute::Asked::Items(items),
            execute::Options { approval_timeout_blocks, mpc_timeout_blocks, callback, max_fee },
        ),
        ExecuteMsg::RequestPayloadSignature {
            key_id,
            payloads,
            approval_timeout_blocks,
            mpc_timeout_blocks,
            callback,
            max_fee,
        } => execute::request_signature(
            deps,
            env,
            info,
            key_id,
            execute::Asked::Payloads(payloads),
            execute::Options { approval_timeout_blocks, mpc_timeout_blocks, callback, max_fee },
        ),
        ExecuteMsg::Approve { request_id } => execute::vote(deps, env, info, request_id, true),
        ExecuteMsg::Reject { request_id } => execute::vote(deps, env, info, request_id, false),
        ExecuteMsg::Execute { request_id } => execute::execute(deps, env, info, request_id),
        ExecuteMsg::Cancel { request_id } => execute::cancel(deps, env, info, request_id),
        ExecuteMsg::SubmitSignatureResult { request_id, result } => {
            execute::submit_signature_result(deps, env, info, request_id, result)
        }
        ExecuteMsg::Expire { request_ids } => execute::expire(deps, env, info, request_ids),
        ExecuteMsg::RunCallback { request_id } => execute::run_callback(deps, info, request_id),
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
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> ContractResult<Binary> {
    match msg {
        QueryMsg::Config {} => json(query::config(deps)),
        QueryMsg::Request { request_id } => json(query::request(deps, env, request_id)),
        QueryMsg::RequestsByKeyring { keyring_id, status, start_after, limit } => {
            json(query::by_keyring(deps, env, keyring_id, status, start_after, limit))
        }
        QueryMsg::RequestsByKey { key_id, start_after, limit } => {
            json(query::requests_by(deps, env, Owner::Key(key_id), start_after, limit))
        }
        QueryMsg::RequestsByWorkspace { workspace_id, start_after, limit } => {
            let owner = Owner::Workspace(workspace_id);
            json(query::requests_by(deps, env, owner, start_after, limit))
        }
        QueryMsg::RequestsByRequester { requester, start_after, limit } => {
            let requester = deps.api.addr_canonicalize(&requester)?;
            let owner = Owner::Requester(requester.as_slice());
            json(query::requests_by(deps, env, owner, start_after, limit))
        }
        QueryMsg::RequestsAwaitingApprover { approver, start_after, limit } => {
            json(query::awaiting_approver(deps, env, approver, start_after, limit))
        }
        QueryMsg::PolicyEvaluation { request_id } => {
            json(query::policy_evaluation(deps, request_id))
        }
    }
}

/// Only failed callbacks reply (`ReplyOn::Error`). Swallowing the error keeps the settlement
/// that sent the callback; the event tells the receiver's operator what went wrong.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(deps: DepsMut, _env: Env, msg: Reply) -> ContractResult {
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

mpc_contract_kit::versioned_contract!(execute::apply_config);
