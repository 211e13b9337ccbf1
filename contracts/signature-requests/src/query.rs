use std::cell::RefCell;

use cosmwasm_std::{Deps, Env, StdError};
use cw_storage_plus::Bound;
use mpc_contract_kit::awaiting::{self, Candidates};
use mpc_contract_kit::deadline_list::{summaries, DeadlinePage, Listing};
use mpc_contract_kit::lifecycle::{Deadline, Record};
use mpc_interfaces::signature_requests::SignRequestStatus::Partial;
use mpc_interfaces::signature_requests::{
    ConfigResponse, PartySignAnswer, PolicyEvaluationResponse, RequestsAwaitingApproverResponse,
    SignRequestStatus, SignResult, SignatureRequestResponse, SignatureRequestSummary,
    SignatureRequestsResponse,
};
use mpc_interfaces::workspace::SignPolicyResponse;
use mpc_interfaces::{InboxCursor, MAX_INBOX_SCAN};

use crate::error::ContractResult;
use crate::state::{
    count_votes, ids_by, in_force, load_answers, load_payloads, load_request, partial_of_workspace,
    Owner, CALLBACKS_DUE, CONFIG,
};

pub fn config(deps: Deps) -> ContractResult<ConfigResponse> {
    let config = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse {
        workspace_contract: config.workspace_contract.0,
        keyring_contract: config.keyring_contract.0,
        approval_timeout_blocks: config.approval_timeout_blocks,
        mpc_timeout_blocks: config.mpc_timeout_blocks,
    })
}

/// Everything about a request: its body, votes and answers from here, the key from the keyring,
/// the sign policy and owners in force from the workspace.
pub fn request(deps: Deps, env: Env, request_id: u64) -> ContractResult<SignatureRequestResponse> {
    let request = load_request(deps.storage, request_id)?;
    let config = CONFIG.load(deps.storage)?;
    let key = config.keyring_contract.key(&deps.querier, request.body.key_id)?;
    let sign_policy = config.sign_policy_for(&deps.querier, &request.body)?;
    let votes = count_votes(deps.storage, deps.api, &request, &in_force(&sign_policy))?;
    let status = request.status_at(env.block.height);
    let answers = load_answers(deps.storage, request_id, &key.parties)?;
    // The agreed signatures and recovery ids are those of the answer the progress points at.
    let agreed = request.progress.as_ref().and_then(|progress| progress.agreed);
    let (signatures, recovery_ids) = match agreed.and_then(|n| answers.get(n as usize)) {
        Some(PartySignAnswer {
            result: SignResult::Success { signatures, recovery_ids }, ..
        }) => (Some(signatures.clone()), Some(recovery_ids.clone()).filter(|ids| !ids.is_empty())),
        _ => (None, None),
    };
    let payloads = load_payloads(deps.storage, &request)?;
    let (reject_reason, mpc_deadline) = match request.progress {
        Some(progress) => (progress.reject_reason, progress.mpc_deadline.map(|d| d.height())),
        None => (None, None),
    };
    let body = request.body;
    Ok(SignatureRequestResponse {
        id: request_id,
        key_id: body.key_id,
        keyring_id: body.keyring_id,
        workspace_id: body.workspace_id,
        key_type: key.key_type,
        public_key: key.public_key,
        requester: body.requester,
        items: body.items,
        payloads,
        status,
        policy: sign_policy.policy,
        owners: sign_policy.owners,
        approvals: votes.approvals,
        rejections: votes.rejections,
        parties: key.parties,
        party_threshold: key.party_threshold,
        answers,
        signatures,
        recovery_ids,
        fee: body.fee,
        callback_due: CALLBACKS_DUE.has(deps.storage, request_id),
        callback: body.callback,
        created_height: body.created_height,
        approval_deadline_height: body.approval_deadline.height(),
        mpc_timeout_blocks: body.mpc_timeout_blocks,
        mpc_deadline_height: mpc_deadline,
        reject_reason,
    })
}

/// Requests of a keyring that read as `status` now, ordered by (deadline height, id). An open
/// request past its deadline is listed under `Expired`, not under its stored status, so the
/// connector's `Pending` list holds only requests it can still answer.
///
/// The index orders each stored status by deadline, so the open ones that are not overdue are a
/// range from the current height, and `Expired` merges the stored `Expired` range with the
/// overdue parts of the `Partial` and `Pending` ranges: a page reads at most three ranges of
/// `limit` entries, however many requests were left to expire. Each entry is read from the index
/// alone.
pub fn by_keyring(
    deps: Deps, env: Env, keyring_id: u64, status: SignRequestStatus, start_after: Option<u64>,
    limit: Option<u32>,
) -> ContractResult<SignatureRequestsResponse> {
    let height = env.block.height;
    let page = DeadlinePage {
        height,
        after: start_after
            .map(|id| load_request(deps.storage, id).map(|r| r.position()))
            .transpose()?,
        limit,
    };
    let listing = Listing::of(status, &[SignRequestStatus::Partial, SignRequestStatus::Pending]);
    let requests = page.list(listing, |stored, min, max| {
        let positions = crate::state::by_keyring(deps.storage, keyring_id, stored, min, max);
        summaries(positions, stored, height, SignatureRequestSummary::new)
    })?;
    Ok(SignatureRequestsResponse { requests })
}

/// Requests of a key, a workspace or a requester, in id order.
pub fn requests_by(
    deps: Deps, env: Env, owner: Owner, start_after: Option<u64>, limit: Option<u32>,
) -> ContractResult<SignatureRequestsResponse> {
    let ids = ids_by(deps.storage, owner, start_after, limit)?;
    let requests = ids
        .into_iter()
        .map(|id| Ok(load_request(deps.storage, id)?.summary(env.block.height)))
        .collect::<ContractResult<_>>()?;
    Ok(SignatureRequestsResponse { requests })
}

/// Computed at query time (see `mpc_contract_kit::awaiting`): the approver's workspaces (from
/// the workspace contract), and in each the `partial` requests (not overdue) whose sign policy in
/// force lets the approver vote and that have no vote of theirs that counts.
pub fn awaiting_approver(
    deps: Deps, env: Env, approver: String, start_after: Option<InboxCursor>, limit: Option<u32>,
) -> ContractResult<RequestsAwaitingApproverResponse> {
    let approver = deps.api.addr_validate(&approver)?;
    let config = CONFIG.load(deps.storage)?;
    let height = env.block.height;
    // One page of the approver's workspaces is all a page can read (`MAX_INBOX_SCAN` bounds
    // both), so they are asked for at once.
    let workspaces = config.workspace_contract.workspaces_of(
        &deps.querier,
        &approver,
        start_after.map(|cursor| cursor.workspace_id),
        MAX_INBOX_SCAN as u32,
    )?;
    let sign_policies = RefCell::new(Vec::<(u64, SignPolicyResponse)>::new());
    let (requests, next) = awaiting::page(
        start_after,
        limit,
        workspaces.iter().copied().map(Ok),
        |workspace_id, after| {
            let first_open = (Deadline::first_open(height).height(), 0);
            let min = match after {
                Some(id) => {
                    let request =
                        load_request(deps.storage, id).map_err(|e| StdError::msg(e.to_string()))?;
                    Bound::exclusive((request.body.approval_deadline.height(), id).max(first_open))
                }
                None => Bound::inclusive(first_open),
            };
            let (config, approver, sign_policies) = (&config, approver.clone(), &sign_policies);
            Ok(Box::new(partial_of_workspace(deps.storage, workspace_id, min).map(
                move |position| {
                    let (deadline, id) = position?;
                    let request =
                        load_request(deps.storage, id).map_err(|e| StdError::msg(e.to_string()))?;
                    // The requests of a workspace share few keys: one policy query per key.
                    let key_id = request.body.key_id;
                    let cached = sign_policies.borrow().iter().position(|(k, _)| *k == key_id);
                    let index = match cached {
                        Some(index) => index,
                        None => {
                            let policy = config.sign_policy_for(&deps.querier, &request.body)?;
                            sign_policies.borrow_mut().push((key_id, policy));
                            sign_policies.borrow().len() - 1
                        }
                    };
                    let sign_policies = sign_policies.borrow();
                    let in_force = in_force(&sign_policies[index].1);
                    let votes = count_votes(deps.storage, deps.api, &request, &in_force)?;
                    let awaits = in_force.is_eligible(&approver)
                        && !votes.has_voted(&approver)
                        && votes.evaluate(&in_force).satisfiable;
                    let summary = SignatureRequestSummary::new(id, Partial, deadline);
                    Ok((id, awaits.then_some(summary)))
                },
            )) as Candidates<_>)
        },
    )?;
    // A full page of workspaces may have more after it: the next page starts past the last.
    let next = next.or_else(|| {
        let last = workspaces.last().filter(|_| workspaces.len() == MAX_INBOX_SCAN)?;
        Some(InboxCursor { workspace_id: last + 1, after: None })
    });
    Ok(RequestsAwaitingApproverResponse { requests, next })
}

/// The votes on a request evaluated by the sign policy and owners in force now (for a `partial`
/// request: as the next vote would see them).
pub fn policy_evaluation(deps: Deps, request_id: u64) -> ContractResult<PolicyEvaluationResponse> {
    let request = load_request(deps.storage, request_id)?;
    let config = CONFIG.load(deps.storage)?;
    let sign_policy = config.sign_policy_for(&deps.querier, &request.body)?;
    let in_force = in_force(&sign_policy);
    let votes = count_votes(deps.storage, deps.api, &request, &in_force)?;
    let evaluation = votes.evaluate(&in_force);
    Ok(PolicyEvaluationResponse {
        request_id,
        evaluation,
        policy: sign_policy.policy,
        approvals: votes.approvals,
        rejections: votes.rejections,
    })
}
