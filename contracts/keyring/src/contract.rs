#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Response};
use mpc_contract_kit::config;
use mpc_contract_kit::contract::json;
use mpc_interfaces::keyring::{
    ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, DEFAULT_KEY_REQUEST_TIMEOUT_BLOCKS,
};
use mpc_interfaces::workspace::WorkspaceContract;

use crate::error::ContractResult;
use crate::state::{Config, CONFIG};
use crate::{execute, query, validate};

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(deps: DepsMut, _: Env, _: MessageInfo, msg: InstantiateMsg) -> ContractResult {
    let workspace_contract = validate::address(deps.api, &msg.workspace_contract)?;
    let key_request_timeout_blocks = validate::timeout(
        "key_request_timeout_blocks",
        msg.key_request_timeout_blocks.unwrap_or(DEFAULT_KEY_REQUEST_TIMEOUT_BLOCKS),
    )?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    CONFIG.save(
        deps.storage,
        &Config {
            workspace_contract: WorkspaceContract(workspace_contract.clone()),
            key_request_timeout_blocks,
        },
    )?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("workspace_contract", workspace_contract))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> ContractResult {
    match msg {
        ExecuteMsg::CreateKeyring {
            description,
            parties,
            party_threshold,
            key_req_fee,
            sig_req_fee,
        } => execute::create_keyring(
            deps,
            info,
            description,
            parties,
            party_threshold,
            key_req_fee,
            sig_req_fee,
        ),
        ExecuteMsg::AddParty { keyring_id, party, new_threshold } => {
            execute::add_party(deps, info, keyring_id, party, new_threshold)
        }
        ExecuteMsg::RemoveParty { keyring_id, party, new_threshold } => {
            execute::remove_party(deps, info, keyring_id, party, new_threshold)
        }
        ExecuteMsg::AddAdmin { keyring_id, admin } => {
            execute::add_admin(deps, info, keyring_id, admin)
        }
        ExecuteMsg::RemoveAdmin { keyring_id, admin } => {
            execute::remove_admin(deps, info, keyring_id, admin)
        }
        ExecuteMsg::UpdateKeyring {
            keyring_id,
            description,
            party_threshold,
            key_req_fee,
            sig_req_fee,
        } => execute::update_keyring(
            deps,
            info,
            keyring_id,
            description,
            party_threshold,
            key_req_fee,
            sig_req_fee,
        ),
        ExecuteMsg::DeactivateKeyring { keyring_id } => {
            execute::deactivate_keyring(deps, info, keyring_id)
        }
        ExecuteMsg::ActivateKeyring { keyring_id } => {
            execute::activate_keyring(deps, info, keyring_id)
        }
        ExecuteMsg::RequestKey { workspace_id, keyring_id, key_type, timeout_blocks, max_fee } => {
            let options = execute::KeyRequestOptions { timeout_blocks, max_fee };
            execute::request_key(deps, env, info, workspace_id, keyring_id, key_type, options)
        }
        ExecuteMsg::SubmitKeyResult { request_id, result } => {
            execute::submit_key_result(deps, env, info, request_id, result)
        }
        ExecuteMsg::ExpireKeyRequests { request_ids } => {
            execute::expire_key_requests(deps, env, info, request_ids)
        }
        ExecuteMsg::UpdateConfig { workspace_contract, key_request_timeout_blocks } => {
            config::update(deps, &env, &info, |deps| {
                execute::apply_config(
                    deps,
                    MigrateMsg { workspace_contract, key_request_timeout_blocks },
                )
            })
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> ContractResult<Binary> {
    match msg {
        QueryMsg::Config {} => json(query::config(deps)),
        QueryMsg::Keyring { keyring_id } => json(query::keyring(deps, keyring_id)),
        QueryMsg::KeyRequestFee { keyring_id } => json(query::key_request_fee(deps, keyring_id)),
        QueryMsg::Keyrings { start_after, limit } => {
            json(query::keyrings(deps, start_after, limit))
        }
        QueryMsg::KeyRequest { request_id } => json(query::key_request(deps, env, request_id)),
        QueryMsg::KeyRequestsByKeyring { keyring_id, status, start_after, limit } => {
            json(query::requests_by_keyring(deps, env, keyring_id, status, start_after, limit))
        }
        QueryMsg::Key { key_id } => json(query::key(deps, key_id)),
        QueryMsg::SigningKey { key_id } => json(query::signing_key(deps, key_id)),
        QueryMsg::SignatureRequestFee { key_id } => {
            json(query::signature_request_fee(deps, key_id))
        }
        QueryMsg::KeysByWorkspace { workspace_id, start_after, limit } => {
            json(query::keys_by_workspace(deps, workspace_id, start_after, limit))
        }
        QueryMsg::Addresses { key_id, bech32_prefix } => {
            json(query::addresses(deps, key_id, bech32_prefix))
        }
    }
}

mpc_contract_kit::versioned_contract!(execute::apply_config);
