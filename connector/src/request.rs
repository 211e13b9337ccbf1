//! The request kinds this party answers, as one abstraction (as Hermes' `object.rs`): the event
//! source finds them, the store records them and the worker drives them by [`RequestRef`].

use std::fmt;

use cosmwasm_std::Addr;
use mpc_interfaces::events::{attr, KEY_REQUEST_EVENT, SIGNATURE_REQUEST_EVENT};
use mpc_interfaces::keyring::{
    ExecuteMsg as KeyringExecute, KeyRequestResponse, KeyRequestStatus, KeyResult,
    QueryMsg as KeyringQuery,
};
use mpc_interfaces::signature_requests::{
    ExecuteMsg as SignatureExecute, QueryMsg as SignatureQuery, SignRequestStatus, SignResult,
    SignatureRequestResponse,
};
use serde::{Deserialize, Serialize};

use crate::chain::{ChainError, ChainEvent, ContractCall};
use crate::config::Contracts;

/// A request this party may have to answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestRef {
    /// A key request of the keyring contract.
    Key(u64),
    /// A signature request of the signature-requests contract.
    Sign(u64),
}

impl RequestRef {
    pub fn kind_of(&self) -> RequestKind {
        match self {
            RequestRef::Key(_) => RequestKind::Key,
            RequestRef::Sign(_) => RequestKind::Sign,
        }
    }

    /// The contract holding the request.
    pub fn contract<'a>(&self, contracts: &'a Contracts) -> &'a str {
        self.kind_of().contract(contracts)
    }

    pub fn id(&self) -> u64 {
        match self {
            RequestRef::Key(id) | RequestRef::Sign(id) => *id,
        }
    }

    /// The label used in session ids, metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            RequestRef::Key(_) => "key",
            RequestRef::Sign(_) => "sign",
        }
    }

    /// Store key: kind tag, then id, so records list by kind then id.
    pub fn to_key(self) -> (u8, u64) {
        match self {
            RequestRef::Key(id) => (0, id),
            RequestRef::Sign(id) => (1, id),
        }
    }

    pub fn from_key((kind, id): (u8, u64)) -> Self {
        if kind == 0 {
            RequestRef::Key(id)
        } else {
            RequestRef::Sign(id)
        }
    }

    /// The pending request an event announces, if it is one of `keyring_id`'s.
    pub fn from_event(event: &ChainEvent, contracts: &Contracts, keyring_id: u64) -> Option<Self> {
        let ours = event.attribute(attr::KEYRING_ID) == Some(keyring_id.to_string().as_str());
        let pending = event.attribute(attr::STATUS) == Some("pending");
        if !ours || !pending {
            return None;
        }
        let id = event.attribute(attr::REQUEST_ID)?.parse().ok()?;
        match event.kind.as_str() {
            KEY_REQUEST_EVENT if event.contract == contracts.keyring => Some(RequestRef::Key(id)),
            SIGNATURE_REQUEST_EVENT if event.contract == contracts.signature_requests => {
                Some(RequestRef::Sign(id))
            }
            _ => None,
        }
    }
}

impl fmt::Display for RequestRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} request {}", self.kind(), self.id())
    }
}

/// A request seen pending: by an event at `height` (its state is read from that block on, so a
/// node behind the event's is not taken for "not pending"), or on a pending list (`height` 0:
/// the list was read from the node that is read next).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sighting {
    pub request: RequestRef,
    pub height: u64,
}

impl Sighting {
    pub fn on_list(request: RequestRef) -> Self {
        Self { request, height: 0 }
    }
}

/// The two kinds of request, for what is the same about all requests of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    Key,
    Sign,
}

impl RequestKind {
    pub const ALL: [RequestKind; 2] = [RequestKind::Key, RequestKind::Sign];

    pub fn request(self, id: u64) -> RequestRef {
        match self {
            RequestKind::Key => RequestRef::Key(id),
            RequestKind::Sign => RequestRef::Sign(id),
        }
    }

    /// The contract holding requests of this kind.
    pub fn contract(self, contracts: &Contracts) -> &str {
        match self {
            RequestKind::Key => &contracts.keyring,
            RequestKind::Sign => &contracts.signature_requests,
        }
    }

    /// The query of one request of this kind (its answer is read with [`RequestState::decode`]).
    pub fn query(self, id: u64) -> serde_json::Value {
        let query = match self {
            RequestKind::Key => serde_json::to_value(KeyringQuery::KeyRequest { request_id: id }),
            RequestKind::Sign => serde_json::to_value(SignatureQuery::Request { request_id: id }),
        };
        query.expect("query messages serialize")
    }

    /// The query of one page of the keyring's pending requests of this kind (its answer has
    /// `requests: [{ id, .. }]`, read with [`PendingPage`]).
    pub fn pending_page(
        self,
        keyring_id: u64,
        start_after: Option<u64>,
        limit: u32,
    ) -> serde_json::Value {
        let query = match self {
            RequestKind::Key => serde_json::to_value(KeyringQuery::KeyRequestsByKeyring {
                keyring_id,
                status: KeyRequestStatus::Pending,
                start_after,
                limit: Some(limit),
            }),
            RequestKind::Sign => serde_json::to_value(SignatureQuery::RequestsByKeyring {
                keyring_id,
                status: SignRequestStatus::Pending,
                start_after,
                limit: Some(limit),
            }),
        };
        query.expect("query messages serialize")
    }
}

/// What the pending-list queries of both kinds have in common: the requests' ids.
#[derive(Deserialize)]
pub struct PendingPage {
    pub requests: Vec<PendingEntry>,
}

#[derive(Deserialize)]
pub struct PendingEntry {
    pub id: u64,
}

/// A request as its contract answers it, whatever its kind: what the worker reads to decide.
#[derive(Clone, Debug)]
pub enum RequestState {
    Key(KeyRequestResponse),
    Sign(Box<SignatureRequestResponse>),
}

impl RequestState {
    /// Reads the answer to [`RequestKind::query`].
    pub fn decode(kind: RequestKind, answer: serde_json::Value) -> Result<Self, ChainError> {
        let decoded = match kind {
            RequestKind::Key => serde_json::from_value(answer).map(RequestState::Key),
            RequestKind::Sign => {
                serde_json::from_value(answer).map(|r| RequestState::Sign(Box::new(r)))
            }
        };
        decoded.map_err(|e| ChainError::Decode(e.to_string()))
    }

    pub fn status(&self) -> &'static str {
        match self {
            RequestState::Key(r) => r.status.as_str(),
            RequestState::Sign(r) => r.status.as_str(),
        }
    }

    pub fn is_pending(&self) -> bool {
        match self {
            RequestState::Key(r) => r.status == KeyRequestStatus::Pending,
            RequestState::Sign(r) => r.status == SignRequestStatus::Pending,
        }
    }

    /// Final: nothing will ever be asked of a party again.
    pub fn is_final(&self) -> bool {
        match self {
            RequestState::Key(r) => r.status.is_final(),
            RequestState::Sign(r) => r.status.is_final(),
        }
    }

    /// The parties that must answer, in keyring order.
    pub fn parties(&self) -> &[Addr] {
        match self {
            RequestState::Key(r) => &r.parties,
            RequestState::Sign(r) => &r.parties,
        }
    }

    /// Whether the requester asked to be called back when the request ends.
    pub fn has_callback(&self) -> bool {
        match self {
            RequestState::Key(_) => false,
            RequestState::Sign(r) => r.callback.is_some(),
        }
    }

    /// `party`'s answer on chain: its height and whether it was a success.
    pub fn answer_of(&self, party: &str) -> Option<(u64, bool)> {
        match self {
            RequestState::Key(r) => r
                .answers
                .iter()
                .find(|a| a.party.as_str() == party)
                .map(|a| (a.height, matches!(a.result, KeyResult::Success { .. }))),
            RequestState::Sign(r) => r
                .answers
                .iter()
                .find(|a| a.party.as_str() == party)
                .map(|a| (a.height, matches!(a.result, SignResult::Success { .. }))),
        }
    }
}

/// This party's answer to a request: its result, in the kind's own type.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Key(KeyResult),
    Sign(SignResult),
}

impl Answer {
    pub fn is_success(&self) -> bool {
        matches!(
            self,
            Answer::Key(KeyResult::Success { .. }) | Answer::Sign(SignResult::Success { .. })
        )
    }

    /// The submission of this answer to request `request` (whose kind it has).
    pub fn call(
        self,
        request: RequestRef,
        contracts: &Contracts,
    ) -> Result<ContractCall, ChainError> {
        let request_id = request.id();
        match self {
            Answer::Key(result) => ContractCall::new(
                &contracts.keyring,
                &KeyringExecute::SubmitKeyResult { request_id, result },
            ),
            Answer::Sign(result) => ContractCall::new(
                &contracts.signature_requests,
                &SignatureExecute::SubmitSignatureResult { request_id, result },
            ),
        }
    }
}

impl RequestRef {
    /// A failure answer to this request: `reason` is cut to what the contracts keep.
    pub fn failure(self, reason: &str) -> Answer {
        let reason = truncate_reason(reason);
        match self {
            RequestRef::Key(_) => Answer::Key(KeyResult::Failure { reason }),
            RequestRef::Sign(_) => Answer::Sign(SignResult::Failure { reason }),
        }
    }
}

/// The contracts bound failure reasons; keep ours well inside.
fn truncate_reason(reason: &str) -> String {
    let mut end = reason.len().min(200);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_string()
}
