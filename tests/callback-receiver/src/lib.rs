//! A dApp as the end-to-end tests need one: a contract that owns a workspace seat, asks the
//! signature-requests contract for signatures with `callback: true` (forwarding the fee it is
//! sent), and records what the callback brings. Its callback does real work (`work` storage
//! writes, as a bridge that journals each signature would), so the answer that completes a
//! request runs a callback that costs more gas than the answer itself.
//!
//! Not deployed anywhere: built into `tests/artifacts/` by `scripts/build-wasm.sh`.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{
    to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response, StdError, StdResult, WasmMsg,
};
use cw_storage_plus::{Item, Map};
use mpc_interfaces::signature_requests::{
    CallbackMsg, ExecuteMsg as SignatureExecute, SignRequestStatus,
};

#[cw_serde]
pub struct InstantiateMsg {
    /// The signature-requests contract: the only sender of callbacks this contract takes.
    pub signature_requests: String,
    /// Storage writes the callback makes per item (its cost, as a receiver's own work).
    pub work: u32,
}

#[cw_serde]
pub struct Config {
    pub signature_requests: cosmwasm_std::Addr,
    pub work: u32,
}

/// Either message; no schema (the contract is a test fixture, and untagged enums have none).
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
#[serde(untagged)]
pub enum ExecuteMsg {
    /// What the dApp's users send.
    Request(RequestMsg),
    /// The signature-requests contract's callback, exactly as it sends it.
    Callback(CallbackMsg),
}

#[cw_serde]
pub enum RequestMsg {
    /// Asks for one signature per item with the key, paying with the funds sent along.
    RequestSignature { key_id: u64, items: Vec<Binary> },
}

#[cw_serde]
pub enum QueryMsg {
    /// What the callback of `request_id` brought (`null` before it came).
    Finished { request_id: u64 },
}

#[cw_serde]
pub struct Finished {
    pub status: SignRequestStatus,
    pub signatures: Option<Vec<Binary>>,
}

const CONFIG: Item<Config> = Item::new("config");
const FINISHED: Map<u64, Finished> = Map::new("finished");
const JOURNAL: Map<(u64, u32), Binary> = Map::new("journal");

#[cfg_attr(not(feature = "library"), cosmwasm_std::entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> StdResult<Response> {
    let config = Config {
        signature_requests: deps.api.addr_validate(&msg.signature_requests)?,
        work: msg.work,
    };
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new())
}

#[cfg_attr(not(feature = "library"), cosmwasm_std::entry_point)]
pub fn execute(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> StdResult<Response> {
    let config = CONFIG.load(deps.storage)?;
    match msg {
        ExecuteMsg::Request(RequestMsg::RequestSignature { key_id, items }) => {
            let request = SignatureExecute::RequestSignature {
                key_id,
                items,
                approval_timeout_blocks: None,
                mpc_timeout_blocks: None,
                callback: true,
                max_fee: None,
            };
            Ok(Response::new().add_message(WasmMsg::Execute {
                contract_addr: config.signature_requests.to_string(),
                msg: to_json_binary(&request)?,
                funds: info.funds,
            }))
        }
        ExecuteMsg::Callback(CallbackMsg::SignatureRequestFinished {
            request_id,
            status,
            signatures,
            ..
        }) => {
            if info.sender != config.signature_requests {
                return Err(StdError::msg(format!(
                    "callbacks come from {}, not {}",
                    config.signature_requests, info.sender
                )));
            }
            for (item, signature) in signatures.iter().flatten().enumerate() {
                for round in 0..config.work {
                    JOURNAL.save(
                        deps.storage,
                        (request_id, item as u32 * config.work + round),
                        signature,
                    )?;
                }
            }
            FINISHED.save(deps.storage, request_id, &Finished { status, signatures })?;
            Ok(Response::new().add_attribute("finished", request_id.to_string()))
        }
    }
}

#[cfg_attr(not(feature = "library"), cosmwasm_std::entry_point)]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Finished { request_id } => {
            to_json_binary(&FINISHED.may_load(deps.storage, request_id)?)
        }
    }
}
