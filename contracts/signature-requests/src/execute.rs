use cosmwasm_std::{
    to_json_binary, Addr, Api, Binary, DepsMut, Env, Event, MessageInfo, QuerierWrapper, Response,
    Storage, SubMsg, WasmMsg,
};
use cw_utils::nonpayable;
use mpc_contract_kit::agreement::Tally;
use mpc_contract_kit::{awaiting, fees};
use mpc_interfaces::events::{action, attr, SIGNATURE_REQUEST_EVENT};
use mpc_interfaces::keyring::{KeyResponse, KeyringResponse, QueryMsg as KeyringQueryMsg};
use mpc_interfaces::signature_requests::{
    CallbackMsg, PartySignAnswer, SignRequestStatus, SignResult, CALLBACK_GAS_LIMIT, HASH_LEN,
    MAX_EXPIRE_BATCH, MAX_ITEMS, MAX_MESSAGE_LEN, MAX_REASON_LEN, SIGNATURE_LEN,
};
use mpc_interfaces::workspace::{QueryMsg as WorkspaceQueryMsg, SignPolicyResponse};
use mpc_interfaces::KeyType;

use crate::error::ContractError;
use crate::state::{
    requests, SignatureRequest, SignatureRequestExt, AWAITING_APPROVER, CONFIG, REQUEST_COUNT,
};

#[allow(clippy::too_many_arguments)]
pub fn request_signature(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    key_id: u64,
    items: Vec<Binary>,
    approval_timeout_blocks: Option<u64>,
    mpc_timeout_blocks: Option<u64>,
    callback: bool,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    // The key names the workspace whose owners may use it, so it is read before authorising.
    let key: KeyResponse = deps
        .querier
        .query_wasm_smart(&config.keyring_contract, &KeyringQueryMsg::Key { key_id })?;
    // The policy in force for the key comes with the workspace's current owners.
    let in_force = sign_policy_in_force(
        deps.querier,
        &config.workspace_contract,
        key.workspace_id,
        key_id,
    )?;
    if !in_force.owners.contains(&info.sender) {
        return Err(ContractError::NotOwner {
            sender: info.sender,
            workspace_id: key.workspace_id,
        });
    }

    let keyring: KeyringResponse = deps.querier.query_wasm_smart(
        &config.keyring_contract,
        &KeyringQueryMsg::Keyring {
            keyring_id: key.keyring_id,
        },
    )?;
    if !keyring.active {
        return Err(ContractError::KeyringInactive {
            keyring_id: key.keyring_id,
        });
    }
    validate_items(key.key_type, &items)?;
    let approval_timeout = resolve_timeout(
        "approval_timeout_blocks",
        approval_timeout_blocks,
        config.approval_timeout_blocks,
    )?;
    let mpc_timeout = resolve_timeout(
        "mpc_timeout_blocks",
        mpc_timeout_blocks,
        config.mpc_timeout_blocks,
    )?;
    let fee = fees::check_exact_payment(&info.funds, &keyring.sig_req_fee)?;
    let callback = if callback {
        // Only a contract can receive the callback; a plain account asking for one is a mistake.
        deps.querier
            .query_wasm_contract_info(info.sender.as_str())
            .map_err(|_| ContractError::CallbackNotContract {
                sender: info.sender.clone(),
            })?;
        Some(info.sender.clone())
    } else {
        None
    };

    let id = REQUEST_COUNT.may_load(deps.storage)?.unwrap_or_default() + 1;
    let height = env.block.height;
    let mut request = SignatureRequest {
        id,
        key_id,
        keyring_id: key.keyring_id,
        workspace_id: key.workspace_id,
        key_type: key.key_type,
        public_key: key.public_key,
        requester: info.sender.clone(),
        items,
        status: SignRequestStatus::Partial,
        policy: in_force.policy,
        owners: in_force.owners,
        approvals: vec![],
        rejections: vec![],
        parties: key.parties,
        party_threshold: key.party_threshold,
        answers: vec![],
        signatures: None,
        fee,
        callback,
        created_height: height,
        approval_deadline_height: height + approval_timeout,
        mpc_timeout_blocks: mpc_timeout,
        mpc_deadline_height: None,
        reject_reason: None,
    };
    // The requester's own approval counts when the policy lets them vote.
    if request.is_eligible(&info.sender) {
        request.approvals.push(info.sender.clone());
    }
    let evaluation = request.evaluate();
    if !evaluation.satisfiable {
        return Err(ContractError::PolicyUnsatisfiable {
            workspace_id: request.workspace_id,
        });
    }

    let mut response = Response::new()
        .add_attribute("action", "request_signature")
        .add_attribute(attr::REQUEST_ID, id.to_string());
    if evaluation.satisfied {
        request.status = SignRequestStatus::Pending;
        request.mpc_deadline_height = Some(height + mpc_timeout);
        response = response
            .add_event(request_event(action::CREATED, &request))
            .add_event(request_event(action::PENDING, &request));
    } else {
        awaiting::resync(
            deps.storage,
            &AWAITING_APPROVER,
            request.approval_deadline_height,
            id,
            &[],
            &evaluation.awaiting,
        )?;
        response = response.add_event(
            request_event(action::CREATED, &request)
                .add_attribute(attr::APPROVERS, evaluation.awaiting.join(",")),
        );
    }
    REQUEST_COUNT.save(deps.storage, &id)?;
    requests().save(deps.storage, id, &request)?;
    Ok(response)
}

/// Approve (`approve == true`) or reject a `partial` request as one of its eligible approvers.
/// Live: eligibility and the outcome are judged by the sign policy in force for the key and the
/// workspace's current owners, so a removed owner cannot vote and their earlier approval stops
/// counting, and a changed policy applies to the requests still waiting for approvals.
pub fn vote(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    request_id: u64,
    approve: bool,
) -> Result<Response, ContractError> {
    let mut request = load_request(deps.storage, request_id)?;
    let config = CONFIG.load(deps.storage)?;
    let in_force = sign_policy_in_force(
        deps.querier,
        &config.workspace_contract,
        request.workspace_id,
        request.key_id,
    )?;
    // Who the index lists now: what the previous evaluation awaited.
    let listed = request.evaluate().awaiting;
    request.refresh(in_force);
    if !request.is_eligible(&info.sender) {
        return Err(ContractError::NotApprover {
            sender: info.sender,
            request_id,
        });
    }
    nonpayable(&info)?;
    ensure_open(&request, env.block.height)?;
    if request.status != SignRequestStatus::Partial {
        return Err(ContractError::NotAwaitingApprovals {
            request_id,
            status: request.status,
        });
    }
    if request.has_voted(&info.sender) {
        return Err(ContractError::AlreadyVoted {
            sender: info.sender,
            request_id,
        });
    }

    let vote_action = if approve {
        request.approvals.push(info.sender.clone());
        action::APPROVED
    } else {
        request.rejections.push(info.sender.clone());
        action::REJECTED
    };
    let evaluation = request.evaluate();
    let awaited = if evaluation.satisfied || !evaluation.satisfiable {
        vec![]
    } else {
        evaluation.awaiting.clone()
    };
    awaiting::resync(
        deps.storage,
        &AWAITING_APPROVER,
        request.approval_deadline_height,
        request_id,
        &listed,
        &awaited,
    )?;
    // The vote's event shows the status it was cast on; a transition gets its own event.
    let mut response = Response::new()
        .add_attribute("action", if approve { "approve" } else { "reject" })
        .add_attribute(attr::REQUEST_ID, request_id.to_string())
        .add_event(vote_event(vote_action, &request, &info.sender));
    if evaluation.satisfied {
        request.status = SignRequestStatus::Pending;
        request.mpc_deadline_height = Some(env.block.height + request.mpc_timeout_blocks);
        response = response.add_event(request_event(action::PENDING, &request));
    } else if !evaluation.satisfiable {
        response = finish(
            deps.storage,
            &mut request,
            SignRequestStatus::Rejected,
            Some("the sign policy can no longer be satisfied".to_string()),
            response,
        )?;
    }
    requests().save(deps.storage, request_id, &request)?;
    Ok(response)
}

pub fn submit_signature_result(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    request_id: u64,
    result: SignResult,
) -> Result<Response, ContractError> {
    let mut request = load_request(deps.storage, request_id)?;
    if !request.parties.contains(&info.sender) {
        return Err(ContractError::NotParty {
            sender: info.sender,
            request_id,
        });
    }
    nonpayable(&info)?;
    ensure_open(&request, env.block.height)?;
    if request.status != SignRequestStatus::Pending {
        return Err(ContractError::NotPending {
            request_id,
            status: request.status,
        });
    }
    if request.has_answered(&info.sender) {
        return Err(ContractError::AlreadyAnswered {
            sender: info.sender,
            request_id,
        });
    }
    match &result {
        SignResult::Success { signatures } => verify_signatures(deps.api, &request, signatures)?,
        SignResult::Failure { reason } if reason.len() > MAX_REASON_LEN => {
            return Err(ContractError::ReasonTooLong {
                len: reason.len(),
                max: MAX_REASON_LEN,
            })
        }
        SignResult::Failure { .. } => {}
    }

    request.answers.push(PartySignAnswer {
        party: info.sender.clone(),
        result,
        height: env.block.height,
    });
    let successes = request.success_count();
    let failures = request.failure_count();
    let mut response = Response::new()
        .add_attribute("action", "submit_signature_result")
        .add_attribute(attr::REQUEST_ID, request_id.to_string())
        .add_event(
            request_event(action::PARTY_RESULT, &request)
                .add_attribute(attr::PARTY, info.sender.as_str())
                .add_attribute(attr::ANSWERS, successes.to_string())
                .add_attribute(attr::FAILURES, failures.to_string()),
        );
    // The same signatures from `party_threshold` parties fulfil the request; failures and
    // differing answers count against it.
    match request.tally() {
        Tally::Agreed { value, parties } => {
            request.signatures = Some(value.clone());
            response = response.add_messages(fees::payout(&request.fee, &parties));
            response = finish(
                deps.storage,
                &mut request,
                SignRequestStatus::Fulfilled,
                None,
                response,
            )?;
        }
        Tally::Unreachable {
            unanswered,
            largest,
        } => {
            let reason =
                Tally::<()>::unreachable_reason(request.party_threshold, unanswered, largest);
            response = finish(
                deps.storage,
                &mut request,
                SignRequestStatus::Rejected,
                Some(reason),
                response,
            )?;
        }
        Tally::Open => {}
    }
    requests().save(deps.storage, request_id, &request)?;
    Ok(response)
}

pub fn expire(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    request_ids: Vec<u64>,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    if request_ids.is_empty() {
        return Err(ContractError::EmptyExpireBatch);
    }
    if request_ids.len() > MAX_EXPIRE_BATCH {
        return Err(ContractError::TooManyExpireIds {
            count: request_ids.len(),
            max: MAX_EXPIRE_BATCH,
        });
    }
    let mut response = Response::new().add_attribute("action", "expire");
    for request_id in request_ids {
        let mut request = load_request(deps.storage, request_id)?;
        if request.status.is_final() {
            return Err(ContractError::RequestClosed {
                request_id,
                status: request.status,
            });
        }
        if request.status_at(env.block.height) != SignRequestStatus::Expired {
            return Err(ContractError::NotOverdue { request_id });
        }
        response = finish(
            deps.storage,
            &mut request,
            SignRequestStatus::Expired,
            None,
            response,
        )?;
        requests().save(deps.storage, request_id, &request)?;
    }
    Ok(response)
}

fn load_request(storage: &dyn Storage, request_id: u64) -> Result<SignatureRequest, ContractError> {
    requests()
        .may_load(storage, request_id)?
        .ok_or(ContractError::RequestNotFound { request_id })
}

/// Refuses requests that are final, or open but past their deadline (they read as expired).
fn ensure_open(request: &SignatureRequest, height: u64) -> Result<(), ContractError> {
    if request.status.is_final() {
        return Err(ContractError::RequestClosed {
            request_id: request.id,
            status: request.status,
        });
    }
    if request.status_at(height) == SignRequestStatus::Expired {
        return Err(ContractError::RequestExpired {
            request_id: request.id,
        });
    }
    Ok(())
}

/// Drops the request from every approver's work list (it no longer takes votes).
fn leave_partial(storage: &mut dyn Storage, request: &SignatureRequest) {
    if request.status != SignRequestStatus::Partial {
        return;
    }
    for approver in request.eligible_approvers() {
        AWAITING_APPROVER.remove(
            storage,
            (
                &Addr::unchecked(approver),
                request.approval_deadline_height,
                request.id,
            ),
        );
    }
}

/// Moves an open request to a final status: refunds the held fee to the requester unless it is
/// fulfilled (the caller has added the payout to the agreeing parties), emits the event, and
/// calls back the requesting contract. The caller saves the request.
fn finish(
    storage: &mut dyn Storage,
    request: &mut SignatureRequest,
    status: SignRequestStatus,
    reason: Option<String>,
    mut response: Response,
) -> Result<Response, ContractError> {
    leave_partial(storage, request);
    request.status = status;
    if status != SignRequestStatus::Fulfilled {
        response = response.add_messages(fees::refund(&request.fee, &request.requester));
    }
    let mut event = request_event(status.as_str(), request);
    if let Some(reason) = &reason {
        event = event.add_attribute(attr::REASON, reason);
    }
    request.reject_reason = reason;
    response = response.add_event(event);
    if let Some(receiver) = &request.callback {
        let callback = CallbackMsg::SignatureRequestFinished {
            request_id: request.id,
            status,
            signatures: request.signatures.clone(),
        };
        let message = WasmMsg::Execute {
            contract_addr: receiver.to_string(),
            msg: to_json_binary(&callback)?,
            funds: vec![],
        };
        // Reply only on error, so that a failing receiver cannot revert the settlement.
        response = response.add_submessage(
            SubMsg::reply_on_error(message, request.id).with_gas_limit(CALLBACK_GAS_LIMIT),
        );
    }
    Ok(response)
}

fn validate_items(key_type: KeyType, items: &[Binary]) -> Result<(), ContractError> {
    if items.is_empty() {
        return Err(ContractError::NoItems);
    }
    if items.len() > MAX_ITEMS {
        return Err(ContractError::TooManyItems {
            count: items.len(),
            max: MAX_ITEMS,
        });
    }
    for (index, item) in items.iter().enumerate() {
        let len = item.len();
        match key_type {
            KeyType::EcdsaSecp256k1 if len != HASH_LEN => {
                return Err(ContractError::WrongHashLength {
                    index,
                    len,
                    expected: HASH_LEN,
                })
            }
            KeyType::EddsaEd25519 if len == 0 || len > MAX_MESSAGE_LEN => {
                return Err(ContractError::WrongMessageLength {
                    index,
                    len,
                    max: MAX_MESSAGE_LEN,
                })
            }
            _ => {}
        }
    }
    Ok(())
}

/// A requested timeout, or the config's default; never zero and never above the default.
fn resolve_timeout(name: &str, requested: Option<u64>, max: u64) -> Result<u64, ContractError> {
    match requested {
        None => Ok(max),
        Some(0) => Err(ContractError::ZeroTimeout {
            name: name.to_string(),
        }),
        Some(blocks) if blocks > max => Err(ContractError::TimeoutTooLong {
            name: name.to_string(),
            requested: blocks,
            max,
        }),
        Some(blocks) => Ok(blocks),
    }
}

fn verify_signatures(
    api: &dyn Api,
    request: &SignatureRequest,
    signatures: &[Binary],
) -> Result<(), ContractError> {
    if signatures.len() != request.items.len() {
        return Err(ContractError::WrongSignatureCount {
            count: signatures.len(),
            expected: request.items.len(),
        });
    }
    for (index, (item, signature)) in request.items.iter().zip(signatures).enumerate() {
        if signature.len() != SIGNATURE_LEN {
            return Err(ContractError::WrongSignatureLength {
                index,
                len: signature.len(),
                expected: SIGNATURE_LEN,
            });
        }
        // A malformed signature or key is as good as a wrong one: refused.
        let valid = match request.key_type {
            KeyType::EcdsaSecp256k1 => api.secp256k1_verify(item, signature, &request.public_key),
            KeyType::EddsaEd25519 => api.ed25519_verify(item, signature, &request.public_key),
        }
        .unwrap_or(false);
        if !valid {
            return Err(ContractError::InvalidSignature { index });
        }
        // The host accepts both (r, s) and (r, n - s): only the low-S form is canonical.
        if request.key_type == KeyType::EcdsaSecp256k1 && !is_low_s(signature) {
            return Err(ContractError::HighS { index });
        }
    }
    Ok(())
}

/// Half the order of secp256k1, big-endian: a canonical ECDSA signature has s <= this.
const SECP256K1_HALF_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

/// Whether the s half of a 64-byte r||s signature is at most n/2 (big-endian comparison).
pub fn is_low_s(signature: &[u8]) -> bool {
    signature[32..64] <= SECP256K1_HALF_ORDER[..]
}

/// The sign policy in force for `key_id` and the workspace's current owners.
fn sign_policy_in_force(
    querier: QuerierWrapper,
    workspace_contract: &Addr,
    workspace_id: u64,
    key_id: u64,
) -> Result<SignPolicyResponse, ContractError> {
    Ok(querier.query_wasm_smart(
        workspace_contract,
        &WorkspaceQueryMsg::SignPolicy {
            workspace_id,
            key_id: Some(key_id),
        },
    )?)
}

pub fn request_event(action: &str, request: &SignatureRequest) -> Event {
    Event::new(SIGNATURE_REQUEST_EVENT)
        .add_attribute(attr::ACTION, action)
        .add_attribute(attr::REQUEST_ID, request.id.to_string())
        .add_attribute(attr::KEY_ID, request.key_id.to_string())
        .add_attribute(attr::KEYRING_ID, request.keyring_id.to_string())
        .add_attribute(attr::WORKSPACE_ID, request.workspace_id.to_string())
        .add_attribute(attr::STATUS, request.status.as_str())
}

fn vote_event(vote_action: &str, request: &SignatureRequest, voter: &Addr) -> Event {
    request_event(vote_action, request).add_attribute(attr::SENDER, voter.as_str())
}
