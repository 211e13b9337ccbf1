//! Storage, laid out so that each message writes only what it adds:
//! - a request's body (what was asked, by whom, until when) is written once, when it is made;
//! - its stored status, MPC deadline and outcome ([`Progress`]) only when it leaves `partial`;
//! - each vote and each party's answer is an entry of its own (an ECDSA answer's recovery ids
//!   inside its signatures, see [`StoredAnswer`]), and a fulfilled request points at the answer
//!   holding its signatures;
//! - a payload request's payloads are an entry of their own, written once and read only by the
//!   `Request` query;
//! - the key's type, public key, parties and threshold are read from the keyring, and the sign
//!   policy and owners from the workspace, where they live, instead of being copied;
//! - the index entries are written when the request is made, and the by-keyring entry (keyed by
//!   stored status and deadline) moves only when those change.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{
    Addr, Api, Binary, CanonicalAddr, Coin, Empty, Order, QuerierWrapper, StdError, StdResult,
    Storage,
};
use cw_storage_plus::{Item, Map};
use mpc_contract_kit::agreement::AnswerLog;
use mpc_contract_kit::deadline_list::{Position, StatusIndex};
use mpc_contract_kit::lifecycle::{Deadline, Record, Standing};
use mpc_contract_kit::paging::ids_page;
use mpc_contract_kit::votes::{Ballot, Counted, InForce};
use mpc_interfaces::keyring::KeyringContract;
use mpc_interfaces::signature_requests::{
    PartySignAnswer, Payload, SignRequestStatus, SignResult, SignatureRequestSummary, SIGNATURE_LEN,
};
use mpc_interfaces::workspace::{SignPolicyResponse, WorkspaceContract};
use mpc_interfaces::HashKind;
use serde::{Deserialize, Serialize};

use crate::error::{ContractError, ContractResult};

/// Read by every message: stored with one-letter names (each stored byte read costs 3 gas).
#[cw_serde]
pub struct Config {
    #[serde(rename = "w")]
    pub workspace_contract: WorkspaceContract,
    #[serde(rename = "k")]
    pub keyring_contract: KeyringContract,
    /// Default, and maximum, blocks a request may wait for approvals.
    #[serde(rename = "a")]
    pub approval_timeout_blocks: u64,
    /// Default, and maximum, blocks the parties have once a request is pending.
    #[serde(rename = "m")]
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

/// What a request asks for, written once when it is made. One-letter names: the body is the
/// largest write of a request (30 gas a byte) and is read by every later message.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RequestBody {
    #[serde(rename = "k")]
    pub key_id: u64,
    #[serde(rename = "g")]
    pub keyring_id: u64,
    #[serde(rename = "w")]
    pub workspace_id: u64,
    #[serde(rename = "q")]
    pub requester: Addr,
    #[serde(rename = "i")]
    pub items: Vec<Binary>,
    /// What the requester paid; held until the request ends.
    #[serde(rename = "f", default, skip_serializing_if = "Vec::is_empty")]
    pub fee: Vec<Coin>,
    /// The requesting contract to call back when the request ends.
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<Addr>,
    #[serde(rename = "h")]
    pub created_height: u64,
    #[serde(rename = "d")]
    pub approval_deadline: Deadline,
    /// Blocks the parties get once the request is pending.
    #[serde(rename = "t")]
    pub mpc_timeout_blocks: u64,
    /// The requester approved by making the request (the policy let them vote then). Their
    /// approval is this flag, not an entry in `VOTES`.
    #[serde(rename = "a", default, skip_serializing_if = "std::ops::Not::not")]
    pub requester_approved: bool,
    /// The requester's membership when making the request: the request can turn `pending`, and
    /// their approval counts, only while it holds (see `mpc_contract_kit::votes`).
    #[serde(rename = "m", default, skip_serializing_if = "is_zero")]
    pub requester_membership: u64,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// Where a request went once it left `partial`; no entry while it is `partial`. One-letter
/// names, and the agreed signatures are not copied: they are those of an answer in `ANSWERS`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Progress {
    #[serde(rename = "s")]
    pub status: SignRequestStatus,
    /// Set when the request became pending: the last height at which the parties may answer.
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub mpc_deadline: Option<Deadline>,
    /// Once fulfilled, the number of the first answer that gave the agreed signatures (and
    /// recovery ids).
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    pub agreed: Option<u32>,
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub reject_reason: Option<String>,
}

/// A party's answer as stored: the party by its index among the key's parties (a key keeps the
/// parties that made it, so the index never changes meaning), the signatures or the failure's
/// reason, and the height. What the queries return is the interface's `PartySignAnswer`.
///
/// An ECDSA answer's recovery ids are stored with its signatures, each as a 65th byte of its
/// signature: base64 of 65 bytes is as long as of 64 (88 characters), so the recovery ids cost
/// no stored byte. An EdDSA answer's signatures stay 64 bytes (it has no recovery ids).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct StoredAnswer {
    #[serde(rename = "p")]
    pub party: u8,
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub signatures: Option<Vec<Binary>>,
    #[serde(rename = "f", default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    #[serde(rename = "h")]
    pub height: u64,
}

impl StoredAnswer {
    /// `answer` of the party at `party` among the key's parties. A success's recovery ids are
    /// one per signature or none (as `verify_signatures` admits an answer).
    pub fn new(party: u8, answer: &PartySignAnswer) -> Self {
        let (signatures, failure) = match &answer.result {
            SignResult::Success { signatures, recovery_ids } => {
                let stored = if recovery_ids.is_empty() {
                    signatures.clone()
                } else {
                    signatures
                        .iter()
                        .zip(recovery_ids)
                        .map(|(signature, id)| {
                            let mut bytes = signature.to_vec();
                            bytes.push(*id);
                            Binary::from(bytes)
                        })
                        .collect()
                };
                (Some(stored), None)
            }
            SignResult::Failure { reason } => (None, Some(reason.clone())),
        };
        StoredAnswer { party, signatures, failure, height: answer.height }
    }

    /// The answer as the interface gives it, its party named from the key's `parties`.
    pub fn answer(self, parties: &[Addr]) -> StdResult<PartySignAnswer> {
        let party = parties
            .get(usize::from(self.party))
            .ok_or_else(|| StdError::msg("a stored answer names no party of the key"))?;
        let result = match (self.signatures, self.failure) {
            (Some(stored), _) => {
                let (signatures, recovery_ids) = split_recovery_ids(stored);
                SignResult::Success { signatures, recovery_ids }
            }
            (None, reason) => SignResult::Failure { reason: reason.unwrap_or_default() },
        };
        Ok(PartySignAnswer { party: party.clone(), result, height: self.height })
    }
}

/// Stored signatures as signatures and recovery ids: a 65-byte signature's last byte is its
/// recovery id (see [`StoredAnswer`]).
fn split_recovery_ids(stored: Vec<Binary>) -> (Vec<Binary>, Vec<u8>) {
    let mut recovery_ids = vec![];
    let signatures = stored
        .into_iter()
        .map(|signature| {
            let mut bytes = signature.to_vec();
            if bytes.len() == SIGNATURE_LEN + 1 {
                recovery_ids.extend(bytes.pop());
            }
            Binary::from(bytes)
        })
        .collect();
    (signatures, recovery_ids)
}

/// A payload as stored: its hash kind and data under one-letter names. An EIP-712 payload's
/// digest is not stored: it is the request's item at the same index.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct StoredPayload {
    #[serde(rename = "h")]
    pub hash: HashKind,
    #[serde(rename = "d")]
    pub data: Binary,
}

pub const BODIES: Map<u64, RequestBody> = Map::new("r");
const PROGRESS: Map<u64, Progress> = Map::new("p");
/// (request id, voter) -> the vote and the membership it was cast under.
/// The voter by canonical address: 32 bytes in the key instead of a 60-odd character address.
const VOTES: Map<(u64, &[u8]), Ballot> = Map::new("v");
/// A payload request's payloads, written once when it is made and read only by the `Request`
/// query: the messages that move a request never read them, so their size costs gas only when
/// the request is made, and a raw-hash request has no entry.
const PAYLOADS: Map<u64, Vec<StoredPayload>> = Map::new("l");
/// Final requests whose requesting contract has not been called back yet (`RunCallback`).
pub const CALLBACKS_DUE: Map<u64, Empty> = Map::new("c");
/// The parties' answers to each request, in the order they were given.
const ANSWERS: AnswerLog<StoredAnswer> = AnswerLog::new("a");

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
/// while it is `partial`, as cast once it has moved on; each list in the order of the voters'
/// canonical addresses, the requester's approval first when they approved by making it.
pub fn count_votes(
    storage: &dyn Storage, api: &dyn Api, request: &Request, in_force: &InForce,
) -> StdResult<Counted> {
    let body = &request.body;
    let mut votes = vec![];
    if body.requester_approved {
        let ballot = Ballot { approve: true, membership: body.requester_membership };
        votes.push((body.requester.clone(), ballot));
    }
    for entry in VOTES.prefix(request.id).range(storage, None, None, Order::Ascending) {
        let (voter, ballot) = entry?;
        votes.push((api.addr_humanize(&CanonicalAddr::from(voter))?, ballot));
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
    storage: &mut dyn Storage, api: &dyn Api, id: u64, counted: &Counted,
    vote: Option<(&Addr, Ballot)>,
) -> StdResult<()> {
    for voter in &counted.voided {
        VOTES.remove(storage, (id, api.addr_canonicalize(voter.as_str())?.as_slice()));
    }
    if let Some((voter, ballot)) = vote {
        VOTES.save(storage, (id, api.addr_canonicalize(voter.as_str())?.as_slice()), &ballot)?;
    }
    Ok(())
}

/// The parties' answers to request `id` as the interface gives them, `parties` being its key's.
pub fn load_answers(
    storage: &dyn Storage, id: u64, parties: &[Addr],
) -> StdResult<Vec<PartySignAnswer>> {
    ANSWERS.load(storage, id)?.into_iter().map(|answer| answer.answer(parties)).collect()
}

/// Stores `answer`, the next to request `id` after `answers`, from a party among `parties`.
pub fn add_answer(
    storage: &mut dyn Storage, id: u64, answers: &mut Vec<PartySignAnswer>, parties: &[Addr],
    answer: PartySignAnswer,
) -> StdResult<()> {
    let party = parties
        .iter()
        .position(|party| *party == answer.party)
        .ok_or_else(|| StdError::msg("an answer from no party of the key"))?;
    ANSWERS.store(storage, id, answers.len(), &StoredAnswer::new(party as u8, &answer))?;
    answers.push(answer);
    Ok(())
}

/// What a request agreed on, once fulfilled: the signatures and their recovery ids (`None` for
/// an EdDSA key's).
pub type Agreed = (Option<Vec<Binary>>, Option<Vec<u8>>);

/// The signatures a fulfilled request agreed on and their recovery ids: those of its answer
/// `progress.agreed`.
pub fn agreed_signatures(storage: &dyn Storage, request: &Request) -> StdResult<Agreed> {
    let agreed = request.progress.as_ref().and_then(|progress| progress.agreed);
    let stored = match agreed {
        Some(number) => ANSWERS.nth(storage, request.id, number)?.signatures,
        None => None,
    };
    Ok(match stored {
        Some(stored) => {
            let (signatures, recovery_ids) = split_recovery_ids(stored);
            (Some(signatures), Some(recovery_ids).filter(|ids| !ids.is_empty()))
        }
        None => (None, None),
    })
}

/// Stores a payload request's payloads, once, when it is made.
pub fn save_payloads(storage: &mut dyn Storage, id: u64, payloads: Vec<Payload>) -> StdResult<()> {
    let stored: Vec<StoredPayload> = payloads
        .into_iter()
        .map(|payload| StoredPayload { hash: payload.hash, data: payload.data })
        .collect();
    PAYLOADS.save(storage, id, &stored)
}

/// A payload request's payloads (`None` for a raw-hash request), each EIP-712 payload's digest
/// being the request's item at its index.
pub fn load_payloads(storage: &dyn Storage, request: &Request) -> StdResult<Option<Vec<Payload>>> {
    let Some(stored) = PAYLOADS.may_load(storage, request.id)? else {
        return Ok(None);
    };
    let payloads = stored
        .into_iter()
        .zip(&request.body.items)
        .map(|(StoredPayload { hash, data }, item)| Payload {
            hash,
            data,
            digest: (hash == HashKind::Eip712).then(|| item.clone()),
        })
        .collect();
    Ok(Some(payloads))
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
            r#"{"k":2,"g":3,"w":4,"q":"owner","i":["Aw=="],"f":[{"denom":"uatom","amount":"5"}],"#,
            r#""c":"caller","h":6,"d":7,"t":8,"a":true,"m":9}"#
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
        let json = r#"{"k":2,"g":3,"w":4,"q":"owner","i":["Aw=="],"h":6,"d":7,"t":8}"#;
        assert_eq!(to_json_string(&lean).unwrap(), json);
        assert_eq!(from_json::<RequestBody>(json).unwrap(), lean);

        let progress = Progress {
            status: SignRequestStatus::Fulfilled,
            mpc_deadline: Some(Deadline::at(10)),
            agreed: Some(1),
            reject_reason: None,
        };
        let json = r#"{"s":"fulfilled","d":10,"a":1}"#;
        assert_eq!(to_json_string(&progress).unwrap(), json);
        assert_eq!(from_json::<Progress>(json).unwrap(), progress);

        let parties = [Addr::unchecked("p0"), Addr::unchecked("p1")];
        let answer = PartySignAnswer {
            party: Addr::unchecked("p1"),
            result: SignResult::Failure { reason: "no".to_string() },
            height: 9,
        };
        let stored = StoredAnswer::new(1, &answer);
        let json = r#"{"p":1,"f":"no","h":9}"#;
        assert_eq!(to_json_string(&stored).unwrap(), json);
        assert_eq!(from_json::<StoredAnswer>(json).unwrap().answer(&parties).unwrap(), answer);
        // An EdDSA answer: no recovery ids, the signatures as they are.
        let signature = Binary::from([4u8; SIGNATURE_LEN]);
        let signed = PartySignAnswer {
            result: SignResult::Success {
                signatures: vec![signature.clone()],
                recovery_ids: vec![],
            },
            ..answer
        };
        let json = format!(r#"{{"p":1,"s":["{}"],"h":9}}"#, signature.to_base64());
        assert_eq!(to_json_string(&StoredAnswer::new(1, &signed)).unwrap(), json);
        assert_eq!(from_json::<StoredAnswer>(&json).unwrap().answer(&parties).unwrap(), signed);
        // An ECDSA answer: each recovery id is its signature's 65th byte, in as many base64
        // characters (88) as the 64-byte signature alone.
        let recovered = PartySignAnswer {
            result: SignResult::Success { signatures: vec![signature], recovery_ids: vec![1] },
            ..signed
        };
        let with_id = Binary::from([&[4u8; SIGNATURE_LEN][..], &[1u8][..]].concat());
        assert_eq!(with_id.to_base64().len(), 88);
        let json = format!(r#"{{"p":1,"s":["{}"],"h":9}}"#, with_id.to_base64());
        assert_eq!(to_json_string(&StoredAnswer::new(1, &recovered)).unwrap(), json);
        assert_eq!(from_json::<StoredAnswer>(&json).unwrap().answer(&parties).unwrap(), recovered);

        // A payload: its hash kind and data, no digest.
        let payload = StoredPayload { hash: HashKind::Keccak256, data: Binary::from(vec![5]) };
        let json = r#"{"h":"keccak256","d":"BQ=="}"#;
        assert_eq!(to_json_string(&payload).unwrap(), json);
        assert_eq!(from_json::<StoredPayload>(json).unwrap(), payload);

        let config = Config {
            workspace_contract: WorkspaceContract(Addr::unchecked("ws")),
            keyring_contract: KeyringContract(Addr::unchecked("kr")),
            approval_timeout_blocks: 1,
            mpc_timeout_blocks: 2,
        };
        assert_eq!(to_json_string(&config).unwrap(), r#"{"w":"ws","k":"kr","a":1,"m":2}"#);
    }

    /// The answers are stored with the party's index among the key's parties and read back
    /// naming it; the agreed signatures are read from the answer the progress points at.
    #[test]
    fn answers_are_stored_by_party_index_and_signatures_by_answer_number() {
        let mut storage = MockStorage::new();
        let parties = [Addr::unchecked("p0"), Addr::unchecked("p1"), Addr::unchecked("p2")];
        let answer = |party: &Addr, byte| PartySignAnswer {
            party: party.clone(),
            result: SignResult::Success {
                signatures: vec![Binary::from([byte; SIGNATURE_LEN])],
                recovery_ids: vec![byte % 2],
            },
            height: 3,
        };
        let mut answers = vec![];
        add_answer(&mut storage, 1, &mut answers, &parties, answer(&parties[2], 7)).unwrap();
        add_answer(&mut storage, 1, &mut answers, &parties, answer(&parties[0], 8)).unwrap();
        assert_eq!(load_answers(&storage, 1, &parties).unwrap(), answers);
        let stranger = answer(&Addr::unchecked("stranger"), 9);
        assert!(add_answer(&mut storage, 1, &mut answers, &parties, stranger).is_err());
        let request = Request {
            id: 1,
            body: body(),
            progress: Some(Progress {
                status: SignRequestStatus::Fulfilled,
                mpc_deadline: None,
                agreed: Some(1),
                reject_reason: None,
            }),
        };
        let agreed = agreed_signatures(&storage, &request).unwrap();
        assert_eq!(agreed, (Some(vec![Binary::from([8; SIGNATURE_LEN])]), Some(vec![0])));
    }

    /// A payload request's payloads are stored without their digests, an EIP-712 payload's
    /// being read back from the request's items; a raw-hash request has none.
    #[test]
    fn payloads_are_stored_without_digests() {
        let mut storage = MockStorage::new();
        let digest = Binary::from([9; 32]);
        let request = Request {
            id: 1,
            body: RequestBody { items: vec![Binary::from([3; 32]), digest.clone()], ..body() },
            progress: None,
        };
        assert_eq!(load_payloads(&storage, &request).unwrap(), None);
        let payloads = vec![
            Payload { hash: HashKind::Sha256, data: Binary::from(vec![1]), digest: None },
            Payload { hash: HashKind::Eip712, data: Binary::from(vec![2]), digest: Some(digest) },
        ];
        save_payloads(&mut storage, 1, payloads.clone()).unwrap();
        assert_eq!(load_payloads(&storage, &request).unwrap(), Some(payloads));
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
                    agreed: None,
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
