use cosmwasm_std::{Deps, Env, Order, StdError, StdResult};
use mpc_contract_kit::deadline_list::{summaries, DeadlinePage, Listing};
use mpc_contract_kit::lifecycle::Record;
use mpc_interfaces::signature_requests::SignRequestStatus::Partial;
use mpc_interfaces::signature_requests::{
    ConfigResponse, PolicyEvaluationResponse, SignRequestStatus, SignatureRequestResponse,
    SignatureRequestSummary, SignatureRequestsResponse,
};

use crate::error::ContractResult;
use crate::state::{
    ids_by, is_partial, load_request, Owner, Votes, ANSWERS, AWAITING_APPROVER, CALLBACKS_DUE,
    CONFIG,
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
    let in_force = config.sign_policy_for(&deps.querier, &request.body)?;
    let votes = Votes::load(deps.storage, &request)?;
    let status = request.status_at(env.block.height);
    let (signatures, reject_reason, mpc_deadline) = match request.progress {
        Some(progress) => {
            (progress.signatures, progress.reject_reason, progress.mpc_deadline.map(|d| d.height()))
        }
        None => (None, None, None),
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
        status,
        policy: in_force.policy,
        owners: in_force.owners,
        approvals: votes.approvals,
        rejections: votes.rejections,
        parties: key.parties,
        party_threshold: key.party_threshold,
        answers: ANSWERS.load(deps.storage, request_id)?,
        signatures,
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

/// `partial` requests that await `approver`'s vote now, ordered by (approval deadline height,
/// id); overdue ones read as expired and are left out. Their entries come first in the
/// deadline-ordered inbox, so the page starts past them all with a range bound. An entry is
/// written for the approvers the request awaited at its last vote; since approvals are judged
/// live, a policy or owner change since then can leave entries of requests that no longer await
/// this approver (or left `partial`), so each entry is checked against the request as it
/// stands.
pub fn awaiting_approver(
    deps: Deps, env: Env, approver: String, start_after: Option<u64>, limit: Option<u32>,
) -> ContractResult<SignatureRequestsResponse> {
    let canonical = deps.api.addr_canonicalize(&approver)?;
    let approver = deps.api.addr_humanize(&canonical)?;
    let config = CONFIG.load(deps.storage)?;
    let height = env.block.height;
    let page = DeadlinePage {
        height,
        after: start_after
            .map(|id| {
                load_request(deps.storage, id).map(|r| (r.body.approval_deadline.height(), r.id))
            })
            .transpose()?,
        limit,
    };
    let awaits = move |id: u64| -> StdResult<bool> {
        if !is_partial(deps.storage, id) {
            return Ok(false);
        }
        let request = load_request(deps.storage, id).map_err(|e| StdError::msg(e.to_string()))?;
        let in_force = config.sign_policy_for(&deps.querier, &request.body)?;
        let evaluation = Votes::load(deps.storage, &request)?.evaluate(&in_force);
        Ok(evaluation.awaiting.contains(&approver.to_string()))
    };
    let requests = page.list(Listing::Open(()), |(), min, max| {
        let awaits = awaits.clone();
        Box::new(
            AWAITING_APPROVER
                .sub_prefix(canonical.as_slice())
                .keys(deps.storage, min, max, Order::Ascending)
                .filter_map(move |key| {
                    let listed = key.and_then(|position| Ok((position, awaits(position.1)?)));
                    match listed {
                        Ok((_, false)) => None,
                        Ok((position, true)) => Some(Ok(position)),
                        Err(err) => Some(Err(err)),
                    }
                })
                .map(move |key| {
                    key.map(|(deadline, id)| {
                        let summary = SignatureRequestSummary::new(id, Partial, deadline);
                        ((deadline, id), summary)
                    })
                }),
        )
    })?;
    Ok(SignatureRequestsResponse { requests })
}

/// The votes on a request evaluated by the sign policy and owners in force now (for a `partial`
/// request: as the next vote would see them).
pub fn policy_evaluation(deps: Deps, request_id: u64) -> ContractResult<PolicyEvaluationResponse> {
    let request = load_request(deps.storage, request_id)?;
    let config = CONFIG.load(deps.storage)?;
    let in_force = config.sign_policy_for(&deps.querier, &request.body)?;
    let votes = Votes::load(deps.storage, &request)?;
    let evaluation = votes.evaluate(&in_force);
    Ok(PolicyEvaluationResponse {
        request_id,
        evaluation,
        policy: in_force.policy,
        approvals: votes.approvals,
        rejections: votes.rejections,
    })
}
