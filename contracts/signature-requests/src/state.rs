//! Storage, laid out so that each message writes only what it adds:
//! - a request's body (what was asked, by whom, until when) is written once, when it is made;
//! - its stored status, MPC deadline and outcome ([`Progress`]) only when it leaves `partial`;
//! - each vote and each party's answer is an entry of its own;
//! - the key's type, public key, parties and threshold are read from the keyring, and the sign
//!   policy and owners from the workspace, where they live, instead of being copied;
//! - the index entries are written when the request is made, and the by-keyring entry (keyed by
//!   stored status and deadline) moves only when those change.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Api, Binary, Coin, Empty, Order, QuerierWrapper, StdResult, Storage};
use cw_storage_plus::{Item, Map};
use mpc_contract_kit::agreement::AnswerLog;
use mpc_contract_kit::deadline_list::{Position, StatusIndex};
use mpc_contract_kit::lifecycle::{Deadline, Record, Standing};
use mpc_contract_kit::paging::ids_page;
use mpc_contract_kit::votes::{Ballot, Counted, InForce};
use mpc_interfaces::keyring::KeyringContract;
use mpc_interfaces::signature_requests::{
    PartySignAnswer, Payload, SignRequestStatus, SignResult, SignatureRequestSummary,
};
use mpc_interfaces::workspace::{SignPolicyResponse, WorkspaceContract};
use serde::{Deserialize, Serialize};

use crate::error::{ContractError, ContractResult};

#[cw_serde]
pub struct Config {
    pub workspace_contract: WorkspaceContract,
    pub keyring_contract: KeyringContract,
    /// Default, and maximum, blocks a request may wait for approvals.
    pub approval_timeout_blocks: u64,
    /// Default, and maximum, blocks the parties have once a request is pending.
    pub mpc_timeout_blocks: u64,
}

impl Config {
    /// The sign policy in force for a request (its key's own, else its workspace's) with the
    /// workspace's current owners: what every vote on it, and every evaluation of it, goes by.
    pub fn sign_policy_for(
        &self, querier: &QuerierWrapper, body: &RequestBody,
    ) -> StdResult<SignPolicyResponse> {
        self.workspace_contract.sign_policy(querier, body.workspace_id, Some(body.key_id))
    }
}

pub const CONFIG: Item<Config> = Item::new("config");

/// What a request asks for, written once when it is made.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RequestBody {
    pub key_id: u64,
    pub keyring_id: u64,
    pub workspace_id: u64,
    pub requester: Addr,
    pub items: Vec<Binary>,
    /// What the requester paid; held until the request ends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fee: Vec<Coin>,
    /// The requesting contract to call back when the request ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<Addr>,
    pub created_height: u64,
    pub approval_deadline: Deadline,
    /// Blocks the parties get once the request is pending.
    pub mpc_timeout_blocks: u64,
    /// The requester approved by making the request (the policy let them vote then). Their
    /// approval is this flag, not an entry in `VOTES`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub requester_approved: bool,
    /// The requester's membership when making the request: the request can turn `pending`, and
    /// their approval counts, only while it holds (see `mpc_contract_kit::votes`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub requester_membership: u64,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// Where a request went once it left `partial`; no entry while it is `partial`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Progress {
    pub status: SignRequestStatus,
    /// Set when the request became pending: the last height at which the parties may answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mpc_deadline: Option<Deadline>,
    /// The agreed signatures, once fulfilled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signatures: Option<Vec<Binary>>,
    /// The agreed recovery ids of an ECDSA key's signatures, once fulfilled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_ids: Option<Vec<u8>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_reason: Option<String>,
}

pub const BODIES: Map<u64, RequestBody> = Map::new("r");
const PROGRESS: Map<u64, Progress> = Map::new("p");
/// (request id, voter) -> the vote and the membership it was cast under.
const VOTES: Map<(u64, &Addr), Ballot> = Map::new("v");
/// A payload request's payloads, written once when it is made and read only by the `Request`
/// query (and a later sign policy): the messages that move a request never read them, so
/// their size costs gas only when the request is made.
pub const PAYLOADS: Map<u64, Vec<Payload>> = Map::new("l");
/// Final requests whose requesting contract has not been called back yet (`RunCallback`).
pub const CALLBACKS_DUE: Map<u64, Empty> = Map::new("c");
/// The parties' answers to each request, in the order they were given.
pub const ANSWERS: AnswerLog<PartySignAnswer> = AnswerLog::new("a");

/// ((keyring id, stored status), deadline height, request id): the connector's work list, ordered
/// by deadline within a stored status so that the overdue open requests are a prefix a range
/// bound skips (see `mpc_contract_kit::deadline_list`).
const BY_KEYRING: StatusIndex = StatusIndex::new("k");
const BY_KEY: Map<(u64, u64), Empty> = Map::new("y");
const BY_WORKSPACE: Map<(u64, u64), Empty> = Map::new("w");
/// (requester's canonical address, request id).
const BY_REQUESTER: Map<(&[u8], u64), Empty> = Map::new("q");
/// (workspace id, approval deadline height, request id) of every `partial` request: what the
/// approvers' inboxes are computed from at query time (see `mpc_contract_kit::awaiting`).
/// Written when a request is made partial, removed when it leaves `partial`.
const PARTIAL_BY_WORKSPACE: Map<(u64, u64, u64), Empty> = Map::new("i");

/// A request as the contract works with it: its body and, once it left `partial`, its progress.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub id: u64,
    pub body: RequestBody,
    pub progress: Option<Progress>,
}

impl Record for Request {
    type Status = SignRequestStatus;

    /// Partial until it has progress; it moves by the MPC deadline once it has one, else by the
    /// approval deadline.
    fn standing(&self) -> Standing<SignRequestStatus> {
        let progress = self.progress.as_ref();
        Standing {
            id: self.id,
            stored: progress.map_or(SignRequestStatus::Partial, |p| p.status),
            deadline: progress.and_then(|p| p.mpc_deadline).unwrap_or(self.body.approval_deadline),
        }
    }
}

impl Request {
    /// Refuses a move on a request that is final, or open but past its deadline (the
    /// lifecycle's refusals), or open in another status than the move needs (`other(status)`).
    pub fn ensure_open_in(
        &self, height: u64, expected: SignRequestStatus,
        other: impl FnOnce(SignRequestStatus) -> ContractError,
    ) -> ContractResult<()> {
        self.ensure_open(height)?;
        let status = self.stored_status();
        if status != expected {
            return Err(other(status));
        }
        Ok(())
    }

    pub fn summary(&self, height: u64) -> SignatureRequestSummary {
        SignatureRequestSummary::new(self.id, self.status_at(height), self.deadline().height())
    }

    /// Stores a new request (`progress` set when it is pending at once) and its index entries.
    pub fn create(&self, storage: &mut dyn Storage, api: &dyn Api) -> StdResult<()> {
        let (id, body) = (self.id, &self.body);
        BODIES.save(storage, id, body)?;
        if let Some(progress) = &self.progress {
            PROGRESS.save(storage, id, progress)?;
        }
        BY_KEYRING.insert_record(storage, body.keyring_id, self)?;
        if self.progress.is_none() {
            PARTIAL_BY_WORKSPACE.save(storage, self.partial_key(), &Empty {})?;
        }
        BY_KEY.save(storage, (body.key_id, id), &Empty {})?;
        BY_WORKSPACE.save(storage, (body.workspace_id, id), &Empty {})?;
        let requester = api.addr_canonicalize(body.requester.as_str())?;
        BY_REQUESTER.save(storage, (requester.as_slice(), id), &Empty {})
    }

    fn partial_key(&self) -> (u64, u64, u64) {
        (self.body.workspace_id, self.body.approval_deadline.height(), self.id)
    }

    /// Records where the request went, and moves its index entries to match.
    pub fn advance(&mut self, storage: &mut dyn Storage, progress: Progress) -> StdResult<()> {
        if self.progress.is_none() {
            PARTIAL_BY_WORKSPACE.remove(storage, self.partial_key());
        }
        BY_KEYRING.track(storage, self.body.keyring_id, self, |storage, request| {
            PROGRESS.save(storage, request.id, &progress)?;
            request.progress = Some(progress);
            Ok(())
        })
    }
}

pub fn load_request(storage: &dyn Storage, request_id: u64) -> ContractResult<Request> {
    let body = BODIES
        .may_load(storage, request_id)?
        .ok_or(ContractError::RequestNotFound { request_id })?;
    Ok(Request { id: request_id, body, progress: PROGRESS.may_load(storage, request_id)? })
}

/// The policy and owners in force for a request, as the workspace answers.
pub fn in_force(response: &SignPolicyResponse) -> InForce<'_> {
    InForce {
        policy: &response.policy,
        owners: &response.owners,
        memberships: &response.memberships,
    }
}

/// The votes on a request sorted by the membership in force (see `mpc_contract_kit::votes`)
/// while it is `partial`, as cast once it has moved on; each list in address order, the
/// requester's approval first when they approved by making it.
pub fn count_votes(
    storage: &dyn Storage, request: &Request, in_force: &InForce,
) -> StdResult<Counted> {
    let body = &request.body;
    let mut votes = vec![];
    if body.requester_approved {
        let ballot = Ballot { approve: true, membership: body.requester_membership };
        votes.push((body.requester.clone(), ballot));
    }
    for entry in VOTES.prefix(request.id).range(storage, None, None, Order::Ascending) {
        votes.push(entry?);
    }
    let votes = votes.iter().map(|(voter, ballot)| (voter, *ballot));
    if request.progress.is_some() {
        // Its approval phase is over: the votes it ended it with, whatever happened since.
        return Ok(Counted::as_cast(votes));
    }
    let requester = (&body.requester, body.requester_membership);
    Ok(Counted::sort(in_force, requester, votes))
}

/// Stores `voter`'s vote on request `id`, after dropping the votes `counted` found voided (the
/// requester's approval is the body's flag, not an entry, and voids with its membership).
pub fn store_vote(
    storage: &mut dyn Storage, id: u64, counted: &Counted, vote: Option<(&Addr, Ballot)>,
) -> StdResult<()> {
    for voter in &counted.voided {
        VOTES.remove(storage, (id, voter));
    }
    if let Some((voter, ballot)) = vote {
        VOTES.save(storage, (id, voter), &ballot)?;
    }
    Ok(())
}

/// The `partial` requests of a workspace whose approval deadline is not before `min`, in
/// (deadline, id) order.
pub fn partial_of_workspace<'a>(
    storage: &'a dyn Storage, workspace_id: u64, min: cw_storage_plus::Bound<'static, Position>,
) -> Box<dyn Iterator<Item = StdResult<Position>> + 'a> {
    Box::new(PARTIAL_BY_WORKSPACE.sub_prefix(workspace_id).keys(
        storage,
        Some(min),
        None,
        Order::Ascending,
    ))
}

/// The successful answers by party, failures as `None`, for the tally: answers agree when their
/// signatures and recovery ids are equal byte for byte.
pub fn answer_values(
    answers: &[PartySignAnswer],
) -> impl Iterator<Item = (&Addr, Option<&SignResult>)> {
    answers.iter().map(|a| {
        let success = match &a.result {
            SignResult::Success { .. } => Some(&a.result),
            SignResult::Failure { .. } => None,
        };
        (&a.party, success)
    })
}

pub fn addr_strings(addrs: &[Addr]) -> Vec<String> {
    addrs.iter().map(Addr::to_string).collect()
}

/// The by-keyring entries of requests stored in `status`, between position bounds.
pub fn by_keyring<'a>(
    storage: &'a dyn Storage, keyring_id: u64, status: SignRequestStatus,
    min: Option<cw_storage_plus::Bound<'static, Position>>,
    max: Option<cw_storage_plus::Bound<'static, Position>>,
) -> Box<dyn Iterator<Item = StdResult<Position>> + 'a> {
    BY_KEYRING.positions(storage, keyring_id, status, min, max)
}

/// Whose requests a list is of.
pub enum Owner<'a> {
    Key(u64),
    Workspace(u64),
    /// By canonical address.
    Requester(&'a [u8]),
}

/// One page of the ids of a key's, a workspace's or a requester's requests, after `start_after`.
pub fn ids_by(
    storage: &dyn Storage, owner: Owner, start_after: Option<u64>, limit: Option<u32>,
) -> StdResult<Vec<u64>> {
    match owner {
        Owner::Key(key_id) => ids_page(storage, BY_KEY.prefix(key_id), start_after, limit),
        Owner::Workspace(workspace_id) => {
            ids_page(storage, BY_WORKSPACE.prefix(workspace_id), start_after, limit)
        }
        Owner::Requester(requester) => {
            ids_page(storage, BY_REQUESTER.prefix(requester), start_after, limit)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;
    use cosmwasm_std::{coin, from_json, to_json_string};

    fn body() -> RequestBody {
        RequestBody {
            key_id: 2,
            keyring_id: 3,
            workspace_id: 4,
            requester: Addr::unchecked("owner"),
            items: vec![Binary::from(vec![3])],
            fee: vec![coin(5, "uatom")],
            callback: Some(Addr::unchecked("caller")),
            created_height: 6,
            approval_deadline: Deadline::at(7),
            mpc_timeout_blocks: 8,
            requester_approved: true,
            requester_membership: 9,
        }
    }

    /// The stored JSON of a request's records: field names and order are the storage layout,
    /// which must not change without a migration. Empty optional fields are left out.
    #[test]
    fn stored_layout_is_pinned() {
        let json = concat!(
            r#"{"key_id":2,"keyring_id":3,"workspace_id":4,"requester":"owner","items":["Aw=="],"#,
            r#""fee":[{"denom":"uatom","amount":"5"}],"callback":"caller","created_height":6,"#,
            r#""approval_deadline":7,"mpc_timeout_blocks":8,"requester_approved":true,"#,
            r#""requester_membership":9}"#
        );
        assert_eq!(to_json_string(&body()).unwrap(), json);
        assert_eq!(from_json::<RequestBody>(json).unwrap(), body());
        let lean = RequestBody {
            fee: vec![],
            callback: None,
            requester_approved: false,
            requester_membership: 0,
            ..body()
        };
        let json = concat!(
            r#"{"key_id":2,"keyring_id":3,"workspace_id":4,"requester":"owner","items":["Aw=="],"#,
            r#""created_height":6,"approval_deadline":7,"mpc_timeout_blocks":8}"#
        );
        assert_eq!(to_json_string(&lean).unwrap(), json);
        assert_eq!(from_json::<RequestBody>(json).unwrap(), lean);

        let progress = Progress {
            status: SignRequestStatus::Fulfilled,
            mpc_deadline: Some(Deadline::at(10)),
            signatures: Some(vec![Binary::from(vec![4])]),
            recovery_ids: Some(vec![1]),
            reject_reason: None,
        };
        let json =
            r#"{"status":"fulfilled","mpc_deadline":10,"signatures":["BA=="],"recovery_ids":[1]}"#;
        assert_eq!(to_json_string(&progress).unwrap(), json);
        assert_eq!(from_json::<Progress>(json).unwrap(), progress);

        let answer = PartySignAnswer {
            party: Addr::unchecked("p1"),
            result: SignResult::Failure { reason: "no".to_string() },
            height: 9,
        };
        let json = r#"{"party":"p1","result":{"failure":{"reason":"no"}},"height":9}"#;
        assert_eq!(to_json_string(&answer).unwrap(), json);
    }

    #[test]
    fn a_request_is_indexed_by_its_stored_status_and_deadline() {
        let mut storage = MockStorage::new();
        let api = cosmwasm_std::testing::MockApi::default();
        let mut request = Request {
            id: 1,
            body: RequestBody { requester: api.addr_make("owner"), ..body() },
            progress: None,
        };
        request.create(&mut storage, &api).unwrap();
        let listed = |storage: &MockStorage, status| {
            by_keyring(storage, 3, status, None, None).collect::<StdResult<Vec<_>>>().unwrap()
        };
        assert_eq!(listed(&storage, SignRequestStatus::Partial), vec![(7, 1)]);
        // The approval deadline (7) is the last height at which it can move.
        assert_eq!(request.status_at(7), SignRequestStatus::Partial);
        assert_eq!(request.status_at(8), SignRequestStatus::Expired);
        request
            .advance(
                &mut storage,
                Progress {
                    status: SignRequestStatus::Pending,
                    mpc_deadline: Some(Deadline::at(15)),
                    signatures: None,
                    recovery_ids: None,
                    reject_reason: None,
                },
            )
            .unwrap();
        assert!(listed(&storage, SignRequestStatus::Partial).is_empty());
        assert_eq!(listed(&storage, SignRequestStatus::Pending), vec![(15, 1)]);
        assert_eq!(load_request(&storage, 1).unwrap(), request);
        assert_eq!(request.summary(16).status, SignRequestStatus::Expired);
    }
}
