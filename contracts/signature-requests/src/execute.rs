use cosmwasm_std::{
    to_json_binary, Api, Binary, Coin, DepsMut, Empty, Env, Event, MessageInfo, Response, StdError,
    Storage, SubMsg, WasmMsg,
};
use cw_utils::nonpayable;
use mpc_contract_kit::agreement::{has_answered, tally, Tally};
use mpc_contract_kit::apply_changes;
use mpc_contract_kit::config::{self, ConfigChanges};
use mpc_contract_kit::contract::check_len;
use mpc_contract_kit::fees;
use mpc_contract_kit::lifecycle::{self, check_timeout, Deadline, LifecycleError, Record};
use mpc_contract_kit::votes::{Ballot, Counted, Outcome};
use mpc_interfaces::events::{action, attr, SIGNATURE_REQUEST_EVENT};
use mpc_interfaces::keyring::{KeyResponse, KeyringContract};
use mpc_interfaces::signature_requests::{
    CallbackMsg, MigrateMsg, PartySignAnswer, Payload, SignRequestStatus, SignResult,
    CALLBACK_GAS_LIMIT, HASH_LEN, MAX_EXPIRE_BATCH, MAX_ITEMS, MAX_MESSAGE_LEN, MAX_REASON_LEN,
    MAX_TIMEOUT_BLOCKS, SIGNATURE_LEN,
};
use mpc_interfaces::workspace::WorkspaceContract;
use mpc_interfaces::{HashKind, KeyType, RequestCreated};
use mpc_payloads::{MAX_PAYLOADS_LEN, MAX_PAYLOAD_LEN};

use crate::error::{ContractError, ContractResult};
use crate::state::{
    add_answer, agreed_signatures, answer_values, count_votes, in_force, load_answers,
    load_request, save_payloads, store_vote, Progress, Request, RequestBody, BODIES, CALLBACKS_DUE,
    CONFIG,
};

/// What a signature request asks to sign: items as they are (hashes or messages, blind
/// signing), or payloads whose digests the contract computes and signs.
pub enum Asked {
    Items(Vec<Binary>),
    Payloads(Vec<Payload>),
}

/// What a signature request may set beyond its key and items.
pub struct Options {
    pub approval_timeout_blocks: Option<u64>,
    pub mpc_timeout_blocks: Option<u64>,
    pub callback: bool,
    pub max_fee: Option<Vec<Coin>>,
}

/// `RequestSignature` and `RequestPayloadSignature`: a request is made from its items, which a
/// payload request computes from its payloads.
pub fn request_signature(
    deps: DepsMut, env: Env, info: MessageInfo, key_id: u64, asked: Asked, options: Options,
) -> ContractResult {
    let Options { approval_timeout_blocks, mpc_timeout_blocks, callback, max_fee } = options;
    let config = CONFIG.load(deps.storage)?;
    // The key names the workspace whose owners may use it, so it is read before authorising.
    let signing = config.keyring_contract.signing_key(&deps.querier, key_id)?;
    let key = signing.key;
    // The policy in force for the key comes with the workspace's current owners.
    let sign_policy =
        config.workspace_contract.sign_policy(&deps.querier, key.workspace_id, Some(key_id))?;
    let in_force = in_force(&sign_policy);
    let Some(requester_membership) = in_force.membership(&info.sender) else {
        return Err(ContractError::NotOwner {
            sender: info.sender,
            workspace_id: key.workspace_id,
        });
    };
    if !signing.keyring_active {
        return Err(ContractError::KeyringInactive { keyring_id: key.keyring_id });
    }
    let (items, payloads) = items_of(key.key_type, asked)?;
    let approval_timeout = resolve_timeout(
        "approval_timeout_blocks",
        approval_timeout_blocks,
        config.approval_timeout_blocks,
    )?;
    let mpc_timeout =
        resolve_timeout("mpc_timeout_blocks", mpc_timeout_blocks, config.mpc_timeout_blocks)?;
    let payment = fees::check_payment(&info.funds, &signing.fee, max_fee.as_deref())?;
    let callback = if callback {
        // Only a contract can receive the callback; a plain account asking for one is a mistake.
        deps.querier
            .query_wasm_contract_info(info.sender.as_str())
            .map_err(|_| ContractError::CallbackNotContract { sender: info.sender.clone() })?;
        Some(info.sender.clone())
    } else {
        None
    };

    let height = env.block.height;
    // The requester's own approval counts when the policy lets them vote.
    let requester_approved = in_force.is_eligible(&info.sender);
    let mut votes = Counted { requester_member: true, ..Counted::default() };
    if requester_approved {
        votes.cast(&info.sender, true);
    }
    let evaluation = votes.evaluate(&in_force);
    if !evaluation.satisfiable {
        return Err(ContractError::PolicyUnsatisfiable { workspace_id: key.workspace_id });
    }
    let id = lifecycle::next_id(deps.storage, &BODIES)?;
    let mut request = Request {
        id,
        body: RequestBody {
            key_id,
            keyring_id: key.keyring_id,
            workspace_id: key.workspace_id,
            requester: info.sender.clone(),
            items,
            fee: payment.charged.clone(),
            callback,
            created_height: height,
            approval_deadline: Deadline::after(height, approval_timeout),
            mpc_timeout_blocks: mpc_timeout,
            requester_approved,
            requester_membership,
        },
        progress: None,
    };

    if evaluation.satisfied {
        request.progress = Some(pending(height, mpc_timeout));
    }
    let mut created = request_event(action::CREATED, &request)
        .add_attribute(attr::REQUESTER, info.sender.as_str());
    for payload in payloads.iter().flatten() {
        created = created.add_attribute(attr::HASH, payload.hash.as_str());
    }
    let mut response = Response::new()
        .add_attribute(
            attr::ACTION,
            if payloads.is_some() { "request_payload_signature" } else { "request_signature" },
        )
        .add_attribute(attr::REQUEST_ID, id.to_string())
        .add_messages(payment.change_to(&info.sender))
        .set_data(to_json_binary(&RequestCreated { request_id: id })?);
    if evaluation.satisfied {
        response = response.add_event(created).add_event(request_event(action::PENDING, &request));
    } else {
        for approver in &evaluation.awaiting {
            created = created.add_attribute(attr::APPROVER, approver);
        }
        response = response.add_event(created);
    }
    request.create(deps.storage, deps.api)?;
    if let Some(payloads) = payloads {
        save_payloads(deps.storage, id, payloads)?;
    }
    Ok(response)
}

/// The items to sign and, for a payload request, its payloads (checked: an ECDSA key, the
/// number of payloads, each payload's size and their total, an EIP-712 digest given and no
/// other) with the digest of each as its item.
fn items_of(
    key_type: KeyType, asked: Asked,
) -> ContractResult<(Vec<Binary>, Option<Vec<Payload>>)> {
    let payloads = match asked {
        Asked::Items(items) => {
            validate_items(key_type, &items)?;
            return Ok((items, None));
        }
        Asked::Payloads(payloads) => payloads,
    };
    if key_type != KeyType::EcdsaSecp256k1 {
        return Err(ContractError::PayloadNeedsEcdsaKey { key_type });
    }
    check_count(payloads.len())?;
    let mut total = 0;
    for (index, payload) in payloads.iter().enumerate() {
        let len = payload.data.len();
        if len > MAX_PAYLOAD_LEN {
            return Err(ContractError::PayloadTooLong { index, len, max: MAX_PAYLOAD_LEN });
        }
        total += len;
    }
    if total > MAX_PAYLOADS_LEN {
        return Err(ContractError::PayloadsTooLong { total, max: MAX_PAYLOADS_LEN });
    }
    let items = payloads
        .iter()
        .enumerate()
        .map(|(index, payload)| payload_digest(index, payload))
        .collect::<ContractResult<_>>()?;
    Ok((items, Some(payloads)))
}

/// The digest a payload's signature signs: hashed here, or for EIP-712 typed data the digest
/// its requester gave (every MPC party recomputes it from the typed data and refuses a
/// mismatch; hashing typed data here would not fit the contract's size).
fn payload_digest(index: usize, payload: &Payload) -> ContractResult<Binary> {
    match (payload.hash, &payload.digest) {
        (HashKind::Eip712, Some(digest)) if digest.len() == HASH_LEN => Ok(digest.clone()),
        (HashKind::Eip712, _) => Err(ContractError::Eip712NeedsDigest { index }),
        (hash, Some(_)) => Err(ContractError::DigestNotExpected { index, hash }),
        (hash, None) => mpc_payloads::digest(hash, &payload.data)
            .map(|digest| Binary::from(digest.to_vec()))
            // Unreachable: the length is checked above and EIP-712 is not hashed here.
            .map_err(|e| StdError::msg(e.to_string()).into()),
    }
}

fn pending(height: u64, mpc_timeout_blocks: u64) -> Progress {
    Progress {
        status: SignRequestStatus::Pending,
        mpc_deadline: Some(Deadline::after(height, mpc_timeout_blocks)),
        agreed: None,
        reject_reason: None,
    }
}

/// Approve (`approve == true`) or reject a `partial` request as one of its eligible approvers.
/// Live: eligibility and the outcome are judged by the sign policy in force for the key and the
/// workspace's current owners, counting only votes cast under a membership that still holds, so
/// a removed owner cannot vote and their earlier votes stop counting (also once re-added), and a
/// changed policy applies to the requests still waiting for approvals.
pub fn vote(
    deps: DepsMut, env: Env, info: MessageInfo, request_id: u64, approve: bool,
) -> ContractResult {
    let mut request = load_request(deps.storage, request_id)?;
    let config = CONFIG.load(deps.storage)?;
    let sign_policy = config.sign_policy_for(&deps.querier, &request.body)?;
    let in_force = in_force(&sign_policy);
    let membership =
        in_force.membership(&info.sender).filter(|_| in_force.is_eligible(&info.sender));
    let Some(membership) = membership else {
        return Err(LifecycleError::NotApprover { id: request_id, sender: info.sender }.into());
    };
    nonpayable(&info)?;
    ensure_partial(&request, env.block.height)?;
    let mut votes = count_votes(deps.storage, deps.api, &request, &in_force)?;
    if votes.has_voted(&info.sender) {
        return Err(LifecycleError::AlreadyVoted { id: request_id, sender: info.sender }.into());
    }

    let voided = votes.clone();
    votes.cast(&info.sender, approve);
    store_vote(
        deps.storage,
        deps.api,
        request_id,
        &voided,
        Some((&info.sender, Ballot { approve, membership })),
    )?;
    let vote_action = if approve { action::APPROVED } else { action::REJECTED };
    // The vote's event shows the status it was cast on; a transition gets its own event.
    let response = Response::new()
        .add_attribute(attr::ACTION, if approve { "approve" } else { "reject" })
        .add_attribute(attr::REQUEST_ID, request_id.to_string())
        .add_event(
            request_event(vote_action, &request).add_attribute(attr::SENDER, info.sender.as_str()),
        )
        .add_events(voided.voided_events(&request_event(action::VOTE_VOIDED, &request)));
    let outcome = Outcome::after_vote(&votes.evaluate(&in_force), approve);
    settle(deps.storage, env.block.height, &mut request, outcome, response)
}

/// Turns `pending` a `partial` request that the sign policy in force is met for by the votes that
/// count: permissionless, for a request that a policy change alone satisfied (a rejection never
/// does this).
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, request_id: u64) -> ContractResult {
    let mut request = load_request(deps.storage, request_id)?;
    nonpayable(&info)?;
    ensure_partial(&request, env.block.height)?;
    let config = CONFIG.load(deps.storage)?;
    let sign_policy = config.sign_policy_for(&deps.querier, &request.body)?;
    let in_force = in_force(&sign_policy);
    let votes = count_votes(deps.storage, deps.api, &request, &in_force)?;
    if !votes.evaluate(&in_force).satisfied {
        return Err(LifecycleError::PolicyNotMet { id: request_id }.into());
    }
    store_vote(deps.storage, deps.api, request_id, &votes, None)?;
    let response = Response::new()
        .add_attribute(attr::ACTION, "execute")
        .add_attribute(attr::REQUEST_ID, request_id.to_string())
        .add_events(votes.voided_events(&request_event(action::VOTE_VOIDED, &request)));
    settle(deps.storage, env.block.height, &mut request, Outcome::Effect, response)
}

/// The requester withdraws its `partial` request: it ends rejected and its fee is refunded.
pub fn cancel(deps: DepsMut, env: Env, info: MessageInfo, request_id: u64) -> ContractResult {
    let mut request = load_request(deps.storage, request_id)?;
    if request.body.requester != info.sender {
        return Err(LifecycleError::NotRequester { id: request_id, sender: info.sender }.into());
    }
    nonpayable(&info)?;
    ensure_partial(&request, env.block.height)?;
    let response = Response::new()
        .add_attribute(attr::ACTION, "cancel")
        .add_attribute(attr::REQUEST_ID, request_id.to_string())
        .add_event(
            request_event(action::CANCELLED, &request)
                .add_attribute(attr::SENDER, info.sender.as_str()),
        );
    let reason = Some("cancelled by its requester".to_string());
    finish(deps.storage, &mut request, SignRequestStatus::Rejected, None, reason, response)
}

fn ensure_partial(request: &Request, height: u64) -> ContractResult<()> {
    request.ensure_open_in(height, SignRequestStatus::Partial, |status| {
        ContractError::NotAwaitingApprovals { request_id: request.id, status }
    })
}

/// Moves a `partial` request as `outcome` says: `pending` (the parties' turn), rejected (its fee
/// refunded), or left as it is.
fn settle(
    storage: &mut dyn Storage, height: u64, request: &mut Request, outcome: Outcome,
    response: Response,
) -> ContractResult {
    match outcome {
        Outcome::Effect => {
            request.advance(storage, pending(height, request.body.mpc_timeout_blocks))?;
            Ok(response.add_event(request_event(action::PENDING, request)))
        }
        Outcome::Reject => finish(
            storage,
            request,
            SignRequestStatus::Rejected,
            None,
            Some("the sign policy can no longer be satisfied".to_string()),
            response,
        ),
        Outcome::Open => Ok(response),
    }
}

pub fn submit_signature_result(
    deps: DepsMut, env: Env, info: MessageInfo, request_id: u64, result: SignResult,
) -> ContractResult {
    let mut request = load_request(deps.storage, request_id)?;
    let config = CONFIG.load(deps.storage)?;
    let key = config.keyring_contract.key(&deps.querier, request.body.key_id)?;
    if !key.parties.contains(&info.sender) {
        return Err(LifecycleError::NotParty { id: request_id, sender: info.sender }.into());
    }
    nonpayable(&info)?;
    request.ensure_open_in(env.block.height, SignRequestStatus::Pending, |status| {
        ContractError::NotPending { request_id, status }
    })?;
    let mut answers = load_answers(deps.storage, request_id, &key.parties)?;
    if has_answered(&answers, &info.sender) {
        return Err(LifecycleError::AlreadyAnswered { id: request_id, sender: info.sender }.into());
    }
    match &result {
        SignResult::Success { signatures, recovery_ids } => {
            verify_signatures(deps.api, &key, &request.body.items, signatures, recovery_ids)?
        }
        SignResult::Failure { reason } => check_len("reason", reason, MAX_REASON_LEN)?,
    }

    add_answer(
        deps.storage,
        request_id,
        &mut answers,
        &key.parties,
        PartySignAnswer { party: info.sender.clone(), result, height: env.block.height },
    )?;
    let failures =
        answers.iter().filter(|a| matches!(a.result, SignResult::Failure { .. })).count();
    let mut response = Response::new()
        .add_attribute(attr::ACTION, "submit_signature_result")
        .add_attribute(attr::REQUEST_ID, request_id.to_string())
        .add_event(
            request_event(action::PARTY_RESULT, &request)
                .add_attribute(attr::PARTY, info.sender.as_str())
                .add_attribute(attr::ANSWERS, (answers.len() - failures).to_string())
                .add_attribute(attr::FAILURES, failures.to_string()),
        );
    // The same signatures from `party_threshold` parties fulfil the request; failures and
    // differing answers count against it.
    match tally(answer_values(&answers), key.parties.len(), key.party_threshold) {
        Tally::Agreed { parties, .. } => {
            response = response.add_messages(fees::payout(&request.body.fee, &parties));
            // The first agreeing party's answer holds the signatures; they are not copied.
            let agreed = answers.iter().position(|answer| answer.party == parties[0]);
            response = finish(
                deps.storage,
                &mut request,
                SignRequestStatus::Fulfilled,
                agreed.map(|number| number as u32),
                None,
                response,
            )?;
        }
        Tally::Unreachable { unanswered, largest } => {
            let reason = Tally::<()>::unreachable_reason(key.party_threshold, unanswered, largest);
            response = finish(
                deps.storage,
                &mut request,
                SignRequestStatus::Rejected,
                None,
                Some(reason),
                response,
            )?;
        }
        Tally::Open => {}
    }
    Ok(response)
}

pub fn expire(deps: DepsMut, env: Env, info: MessageInfo, request_ids: Vec<u64>) -> ContractResult {
    nonpayable(&info)?;
    lifecycle::check_expire_batch::<SignRequestStatus>(&request_ids, MAX_EXPIRE_BATCH)?;
    let mut response = Response::new().add_attribute(attr::ACTION, "expire");
    for request_id in request_ids {
        let mut request = load_request(deps.storage, request_id)?;
        lifecycle::ensure_overdue(
            request_id,
            request.stored_status(),
            request.deadline(),
            env.block.height,
        )?;
        response =
            finish(deps.storage, &mut request, SignRequestStatus::Expired, None, None, response)?;
    }
    Ok(response)
}

/// Moves an open request to a final status: refunds the held fee to the requester unless it is
/// fulfilled (the caller has added the payout to the agreeing parties), emits the event, and
/// marks the requesting contract's callback due. The callback is not run here: the message
/// that settles a request is a party's answer (or an expiry), and none of them should pay for
/// the receiver's gas; `RunCallback` runs it, paid by whoever sends it.
/// `agreed` is the number of the answer whose signatures (and recovery ids) fulfilled it.
fn finish(
    storage: &mut dyn Storage, request: &mut Request, status: SignRequestStatus,
    agreed: Option<u32>, reason: Option<String>, mut response: Response,
) -> ContractResult {
    let body = &request.body;
    if status != SignRequestStatus::Fulfilled {
        response = response.add_messages(fees::refund(&body.fee, &body.requester));
    }
    let callback = body.callback.clone();
    let mpc_deadline = request.progress.as_ref().and_then(|p| p.mpc_deadline);
    request.advance(
        storage,
        Progress { status, mpc_deadline, agreed, reject_reason: reason.clone() },
    )?;
    let mut event = request_event(status.as_str(), request);
    if let Some(reason) = &reason {
        event = event.add_attribute(attr::REASON, reason);
    }
    if let Some(receiver) = callback {
        CALLBACKS_DUE.save(storage, request.id, &Empty {})?;
        event = event.add_attribute(attr::CALLBACK, receiver);
    }
    Ok(response.add_event(event))
}

/// Calls a final request's requesting contract back, once; anyone may send it and pays its gas.
/// The receiver runs with at most `CALLBACK_GAS_LIMIT` and replies only on error, so a failing
/// receiver is recorded (`callback_failed`) instead of reverting this message: the callback is
/// spent either way, as a failed delivery retried by anyone could be used to grief the receiver.
pub fn run_callback(deps: DepsMut, info: MessageInfo, request_id: u64) -> ContractResult {
    nonpayable(&info)?;
    let request = load_request(deps.storage, request_id)?;
    let Some(receiver) = request.body.callback.clone() else {
        return Err(ContractError::NoCallback { request_id });
    };
    let status = request.stored_status();
    if !status.is_final() {
        return Err(ContractError::NotFinal { request_id, status });
    }
    if !CALLBACKS_DUE.has(deps.storage, request_id) {
        return Err(ContractError::CallbackAlreadyRun { request_id });
    }
    CALLBACKS_DUE.remove(deps.storage, request_id);
    let (signatures, recovery_ids) = agreed_signatures(deps.storage, &request)?;
    let callback =
        CallbackMsg::SignatureRequestFinished { request_id, status, signatures, recovery_ids };
    let message = WasmMsg::Execute {
        contract_addr: receiver.to_string(),
        msg: to_json_binary(&callback)?,
        funds: vec![],
    };
    Ok(Response::new()
        .add_attribute(attr::ACTION, "run_callback")
        .add_attribute(attr::REQUEST_ID, request_id.to_string())
        .add_event(
            request_event(action::CALLBACK_RUN, &request)
                .add_attribute(attr::CALLBACK, receiver.as_str())
                .add_attribute(attr::SENDER, info.sender.as_str()),
        )
        .add_submessage(
            SubMsg::reply_on_error(message, request_id).with_gas_limit(CALLBACK_GAS_LIMIT),
        ))
}

/// The contract's admin on the chain changes the linked contracts or the default timeouts.
/// The config changes `UpdateConfig` and `migrate` both make, each field checked as at
/// instantiate.
pub fn apply_config(deps: DepsMut, update: MigrateMsg) -> ContractResult<ConfigChanges> {
    let api = deps.api;
    let address = |_, address: &String| api.addr_validate(address);
    config::change(deps.storage, &CONFIG, |stored, changes| {
        apply_changes!(changes, update => stored {
            workspace_contract: |name, a| address(name, a).map(WorkspaceContract),
            keyring_contract: |name, a| address(name, a).map(KeyringContract),
            approval_timeout_blocks: |name, &blocks| default_timeout(name, blocks),
            mpc_timeout_blocks: |name, &blocks| default_timeout(name, blocks),
        });
        Ok(())
    })
}

/// A default timeout (the value of field `name`): at least one block, at most
/// `MAX_TIMEOUT_BLOCKS`.
pub fn default_timeout(name: &'static str, blocks: u64) -> ContractResult<u64> {
    Ok(check_timeout(name, blocks, MAX_TIMEOUT_BLOCKS)?)
}

/// A request signs at least one item and at most `MAX_ITEMS`.
fn check_count(count: usize) -> ContractResult<()> {
    if count == 0 {
        return Err(ContractError::NoItems);
    }
    if count > MAX_ITEMS {
        return Err(ContractError::TooManyItems { count, max: MAX_ITEMS });
    }
    Ok(())
}

fn validate_items(key_type: KeyType, items: &[Binary]) -> ContractResult<()> {
    check_count(items.len())?;
    for (index, item) in items.iter().enumerate() {
        let len = item.len();
        match key_type {
            KeyType::EcdsaSecp256k1 if len != HASH_LEN => {
                return Err(ContractError::WrongHashLength { index, len, expected: HASH_LEN })
            }
            KeyType::EddsaEd25519 if len == 0 || len > MAX_MESSAGE_LEN => {
                return Err(ContractError::WrongMessageLength { index, len, max: MAX_MESSAGE_LEN })
            }
            _ => {}
        }
    }
    Ok(())
}

/// A requested timeout, or the config's default; never zero and never above the default.
fn resolve_timeout(name: &'static str, requested: Option<u64>, max: u64) -> ContractResult<u64> {
    Ok(check_timeout(name, requested.unwrap_or(max), max)?)
}

fn verify_signatures(
    api: &dyn Api, key: &KeyResponse, items: &[Binary], signatures: &[Binary], recovery_ids: &[u8],
) -> ContractResult<()> {
    if signatures.len() != items.len() {
        return Err(ContractError::WrongSignatureCount {
            count: signatures.len(),
            expected: items.len(),
        });
    }
    // ECDSA: one recovery id per signature; EdDSA: none.
    let expected_ids = match key.key_type {
        KeyType::EcdsaSecp256k1 => signatures.len(),
        KeyType::EddsaEd25519 => 0,
    };
    if recovery_ids.len() != expected_ids {
        return Err(ContractError::WrongRecoveryIdCount {
            count: recovery_ids.len(),
            expected: expected_ids,
        });
    }
    for (index, (item, signature)) in items.iter().zip(signatures).enumerate() {
        if signature.len() != SIGNATURE_LEN {
            return Err(ContractError::WrongSignatureLength {
                index,
                len: signature.len(),
                expected: SIGNATURE_LEN,
            });
        }
        match key.key_type {
            KeyType::EcdsaSecp256k1 => {
                let id = recovery_ids[index];
                if id > 1 {
                    return Err(ContractError::RecoveryIdOutOfRange { index, id });
                }
                // Recovering the key with the id proves the signature too (it replaces
                // `secp256k1_verify`): only a valid signature of the item recovers the key.
                if !recovers(api, item, signature, id, &key.public_key) {
                    // Told apart only on this refused path: the other id recovers the key when
                    // the signature is valid and its id is wrong.
                    if recovers(api, item, signature, 1 - id, &key.public_key) {
                        return Err(ContractError::WrongRecoveryId { index, id });
                    }
                    return Err(ContractError::InvalidSignature { index });
                }
                // Both (r, s) and (r, n - s) recover a key: only the low-S form is canonical.
                if !is_low_s(signature) {
                    return Err(ContractError::HighS { index });
                }
            }
            KeyType::EddsaEd25519 => {
                // A malformed signature or key is as good as a wrong one: refused.
                if !api.ed25519_verify(item, signature, &key.public_key).unwrap_or(false) {
                    return Err(ContractError::InvalidSignature { index });
                }
            }
        }
    }
    Ok(())
}

/// Whether `signature` of `hash` with recovery id `id` recovers the compressed secp256k1
/// `public_key` (the host answers the uncompressed point: 0x04, x, y).
fn recovers(api: &dyn Api, hash: &[u8], signature: &[u8], id: u8, public_key: &[u8]) -> bool {
    let Ok(point) = api.secp256k1_recover_pubkey(hash, signature, id) else {
        return false;
    };
    point.len() == 65
        && public_key.len() == 33
        && public_key[0] == 0x02 | (point[64] & 1)
        && public_key[1..] == point[1..33]
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

pub fn request_event(action: &str, request: &Request) -> Event {
    let body = &request.body;
    let (keyring_id, workspace_id) = (body.keyring_id, body.workspace_id);
    lifecycle::request_event(SIGNATURE_REQUEST_EVENT, action, request, keyring_id, workspace_id)
        .add_attribute(attr::KEY_ID, body.key_id.to_string())
}
