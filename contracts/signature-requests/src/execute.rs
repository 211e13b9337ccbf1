use cosmwasm_std::{
    to_json_binary, Addr, Api, Binary, DepsMut, Env, Event, MessageInfo, Response, Storage, SubMsg,
    WasmMsg,
};
use mpc_contract_kit::fees;
use mpc_interfaces::events::{action, attr, SIGNATURE_REQUEST_EVENT};
use mpc_interfaces::keyring::{KeyResponse, KeyringResponse, QueryMsg as KeyringQueryMsg};
use mpc_interfaces::signature_requests::{
    CallbackMsg, PartySignAnswer, SignRequestStatus, SignResult, CALLBACK_GAS_LIMIT, HASH_LEN,
    MAX_EXPIRE_BATCH, MAX_ITEMS, MAX_MESSAGE_LEN, MAX_REASON_LEN, SIGNATURE_LEN,
};
use mpc_interfaces::workspace::{
    IsOwnerResponse, QueryMsg as WorkspaceQueryMsg, SignPolicyResponse,
};
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
    let owner: IsOwnerResponse = deps.querier.query_wasm_smart(
        &config.workspace_contract,
        &WorkspaceQueryMsg::IsOwner {
            workspace_id: key.workspace_id,
            address: info.sender.to_string(),
        },
    )?;
    if !owner.is_owner {
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

    let workspace_policy: SignPolicyResponse = deps.querier.query_wasm_smart(
        &config.workspace_contract,
        &WorkspaceQueryMsg::SignPolicy {
            workspace_id: key.workspace_id,
        },
    )?;
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
        policy: key.sign_policy.unwrap_or(workspace_policy.policy),
        owners: workspace_policy.owners,
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
        for approver in &evaluation.awaiting {
            AWAITING_APPROVER.save(
                deps.storage,
                (
                    &Addr::unchecked(approver),
                    request.approval_deadline_height,
                    id,
                ),
                &Default::default(),
            )?;
        }
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
pub fn vote(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    request_id: u64,
    approve: bool,
) -> Result<Response, ContractError> {
    let mut request = load_request(deps.storage, request_id)?;
    if !request.is_eligible(&info.sender) {
        return Err(ContractError::NotApprover {
            sender: info.sender,
            request_id,
        });
    }
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
    AWAITING_APPROVER.remove(
        deps.storage,
        (&info.sender, request.approval_deadline_height, request_id),
    );
    let evaluation = request.evaluate();
    // The vote's event shows the status it was cast on; a transition gets its own event.
    let mut response = Response::new()
        .add_attribute("action", if approve { "approve" } else { "reject" })
        .add_attribute(attr::REQUEST_ID, request_id.to_string())
        .add_event(vote_event(vote_action, &request, &info.sender));
    if evaluation.satisfied {
        leave_partial(deps.storage, &request);
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
    let successes = request.successful_parties();
    let failures = request.failure_count();
    // Parties that have not failed can still answer; fewer than the threshold means no signature.
    let possible = request.parties.len() - failures;
    let threshold = request.party_threshold as usize;
    let mut response = Response::new()
        .add_attribute("action", "submit_signature_result")
        .add_attribute(attr::REQUEST_ID, request_id.to_string())
        .add_event(
            request_event(action::PARTY_RESULT, &request)
                .add_attribute(attr::PARTY, info.sender.as_str())
                .add_attribute(attr::ANSWERS, successes.len().to_string())
                .add_attribute(attr::FAILURES, failures.to_string()),
        );
    if successes.len() >= threshold {
        request.signatures = request.answers.iter().find_map(|a| match &a.result {
            SignResult::Success { signatures } => Some(signatures.clone()),
            SignResult::Failure { .. } => None,
        });
        response = finish(
            deps.storage,
            &mut request,
            SignRequestStatus::Fulfilled,
            None,
            response,
        )?;
    } else if possible < threshold {
        let reason = format!(
            "{failures} of {} parties failed; {threshold} answers are needed",
            request.parties.len()
        );
        response = finish(
            deps.storage,
            &mut request,
            SignRequestStatus::Rejected,
            Some(reason),
            response,
        )?;
    }
    requests().save(deps.storage, request_id, &request)?;
    Ok(response)
}

pub fn expire(deps: DepsMut, env: Env, request_ids: Vec<u64>) -> Result<Response, ContractError> {
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

/// Moves an open request to a final status: pays the held fee to the parties that answered
/// (fulfilled) or back to the requester (otherwise), emits the event, and calls back the
/// requesting contract. The caller saves the request.
fn finish(
    storage: &mut dyn Storage,
    request: &mut SignatureRequest,
    status: SignRequestStatus,
    reason: Option<String>,
    mut response: Response,
) -> Result<Response, ContractError> {
    leave_partial(storage, request);
    request.status = status;
    response = if status == SignRequestStatus::Fulfilled {
        response.add_messages(fees::payout(&request.fee, &request.successful_parties()))
    } else {
        response.add_messages(fees::refund(&request.fee, &request.requester))
    };
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
    }
    Ok(())
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
