//! Signature-requests contract: approvals, per-party results, threshold, fees, expiry, callbacks.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Binary, Coin};
use mpc_policy::{Evaluation, Policy};

use crate::{HashKind, InboxCursor, KeyType};

/// Most items (hashes or messages) one request may carry.
pub const MAX_ITEMS: usize = 16;
/// Longest EdDSA message, in bytes.
pub const MAX_MESSAGE_LEN: usize = 1024;
/// Length of an ECDSA item: a 32-byte hash.
pub const HASH_LEN: usize = 32;
/// Length of a signature of either scheme (r||s, or R||s).
pub const SIGNATURE_LEN: usize = 64;
/// Longest failure reason a party may give, in bytes.
pub const MAX_REASON_LEN: usize = 256;
/// Most requests one `Expire` settles.
pub const MAX_EXPIRE_BATCH: usize = 30;
/// Blocks for approvals, and for the MPC answer, when the instantiate message gives none.
pub const DEFAULT_TIMEOUT_BLOCKS: u64 = 1_000;
/// Longest default timeout the config may set, for approvals or the MPC answer; a request may
/// ask for less than the default, never more.
pub const MAX_TIMEOUT_BLOCKS: u64 = 100_000;

/// A payload to sign and how it is hashed into the 32 bytes an ECDSA key signs
/// (`mpc_payloads::digest`): the chain, the approvers and every MPC party see what is signed.
/// At most `mpc_payloads::MAX_PAYLOAD_LEN` bytes each, `MAX_PAYLOADS_LEN` per request.
#[cw_serde]
pub struct Payload {
    pub hash: HashKind,
    /// keccak256/sha256/sha256d: the bytes (an EVM transaction's unsigned serialisation, a
    /// Bitcoin sighash preimage); eip191: the message; cosmos_sign_doc: SignDoc protobuf bytes;
    /// eip712: the typed data as JSON text (UTF-8), as eth_signTypedData_v4 takes it.
    pub data: Binary,
    /// eip712 only (required there, refused elsewhere): the digest the requester computed;
    /// the contract stores it and every party recomputes it from `data` and refuses a mismatch.
    #[serde(default)]
    pub digest: Option<Binary>,
}

#[cw_serde]
pub struct InstantiateMsg {
    pub workspace_contract: String,
    pub keyring_contract: String,
    /// Blocks a request may wait for approvals (default 1_000).
    pub approval_timeout_blocks: Option<u64>,
    /// Blocks the parties have to answer once a request is pending (default 1_000).
    pub mpc_timeout_blocks: Option<u64>,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// An owner of the key's workspace asks for one signature per item with the key, paying the
    /// keyring's `sig_req_fee` (exactly, or as part of `max_fee`). The response data is a
    /// `RequestCreated`.
    RequestSignature {
        key_id: u64,
        /// ECDSA: 32-byte hashes. EdDSA: messages of at most `MAX_MESSAGE_LEN` bytes.
        items: Vec<Binary>,
        /// Blocks to wait for approvals (bounded by the config's default as a maximum).
        approval_timeout_blocks: Option<u64>,
        /// Blocks the parties have once pending.
        mpc_timeout_blocks: Option<u64>,
        /// When the sender is a contract: call it with `CallbackMsg` once the request ends
        /// (`RunCallback`).
        callback: bool,
        /// The most the requester agrees to pay. When given, the funds must be exactly this;
        /// the fee in force is charged and the rest returned in the same transaction, and a fee
        /// above it refuses the request (a fee changed after the requester looked it up).
        #[serde(default)]
        max_fee: Option<Vec<Coin>>,
    },
    /// `RequestSignature` for payloads the chain hashes itself (ECDSA secp256k1 keys only): each
    /// payload's digest (`mpc_payloads::digest`; for `eip712` the digest given with it) is the
    /// item signed, and the payloads are stored with the request, so approvers, policies and
    /// every MPC party (which recomputes each digest and refuses a mismatch) see what is signed.
    /// At most `MAX_PAYLOAD_LEN` bytes per payload and `MAX_PAYLOADS_LEN` per request.
    RequestPayloadSignature {
        key_id: u64,
        payloads: Vec<Payload>,
        approval_timeout_blocks: Option<u64>,
        mpc_timeout_blocks: Option<u64>,
        callback: bool,
        #[serde(default)]
        max_fee: Option<Vec<Coin>>,
    },
    /// An eligible approver approves a `partial` request, once.
    Approve { request_id: u64 },
    /// An eligible approver rejects a `partial` request, once. A rejection only ever rejects:
    /// it never turns `pending` a request that a policy change left satisfied (`Execute` does).
    Reject { request_id: u64 },
    /// Turn `pending` a `partial` request that the sign policy in force is met for, by the
    /// votes that count (permissionless, as cw3's `Execute`): for a request that a policy change
    /// alone satisfied, which no vote would otherwise settle.
    Execute { request_id: u64 },
    /// The requester withdraws its `partial` request: it ends `rejected` and its fee is
    /// refunded. (Once `pending` the parties are at work and are paid on success.)
    Cancel { request_id: u64 },
    /// A party of the key's keyring answers a `pending` request, once. ECDSA signatures must be
    /// low-S. The request is fulfilled when `party_threshold` parties submitted the same
    /// signatures byte for byte (the first such set wins), and rejected once no set can get there.
    SubmitSignatureResult { request_id: u64, result: SignResult },
    /// Settle overdue requests as expired and refund them (permissionless).
    Expire { request_ids: Vec<u64> },
    /// Call a final request's requesting contract back, once (permissionless): whoever sends it
    /// pays the callback's gas, so no party's answer carries it. The connector of the party
    /// whose answer settled the request sends it; the requester (or anyone) may too.
    RunCallback { request_id: u64 },
    /// The contract's admin on the chain changes the linked contracts or the default timeouts
    /// (each given field; requests already made keep theirs).
    UpdateConfig {
        workspace_contract: Option<String>,
        keyring_contract: Option<String>,
        approval_timeout_blocks: Option<u64>,
        mpc_timeout_blocks: Option<u64>,
    },
}

impl ExecuteMsg {
    /// `RequestSignature` of `items` with every option at its default: the contract's
    /// timeouts, no callback, no fee cap.
    pub fn request_signature(key_id: u64, items: Vec<Binary>) -> Self {
        Self::RequestSignature {
            key_id,
            items,
            approval_timeout_blocks: None,
            mpc_timeout_blocks: None,
            callback: false,
            max_fee: None,
        }
    }

    /// `RequestPayloadSignature` of `payloads` with every option at its default.
    pub fn request_payload_signature(key_id: u64, payloads: Vec<Payload>) -> Self {
        Self::RequestPayloadSignature {
            key_id,
            payloads,
            approval_timeout_blocks: None,
            mpc_timeout_blocks: None,
            callback: false,
            max_fee: None,
        }
    }
}

/// Migrating to new code may change the config as `ExecuteMsg::UpdateConfig` does (each given
/// field; `{}` changes nothing).
#[cw_serde]
#[derive(Default)]
pub struct MigrateMsg {
    pub workspace_contract: Option<String>,
    pub keyring_contract: Option<String>,
    pub approval_timeout_blocks: Option<u64>,
    pub mpc_timeout_blocks: Option<u64>,
}

/// One party's answer to a signature request.
#[cw_serde]
pub enum SignResult {
    /// One 64-byte signature per item, in item order. For an ECDSA key, one recovery id (0 or
    /// 1) per signature, of the low-S signature as submitted: with it `(r, s, v)` is assembled
    /// without guessing (EVM: `v = 27 + id`, or the id as `yParity`). An EdDSA answer carries
    /// none.
    Success {
        signatures: Vec<Binary>,
        #[serde(default)]
        recovery_ids: Vec<u8>,
    },
    Failure {
        reason: String,
    },
}

#[cw_serde]
#[derive(Copy, Eq, Hash)]
pub enum SignRequestStatus {
    Partial,
    Pending,
    Fulfilled,
    Rejected,
    Expired,
}

impl SignRequestStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            SignRequestStatus::Partial => "partial",
            SignRequestStatus::Pending => "pending",
            SignRequestStatus::Fulfilled => "fulfilled",
            SignRequestStatus::Rejected => "rejected",
            SignRequestStatus::Expired => "expired",
        }
    }

    pub fn is_final(&self) -> bool {
        matches!(
            self,
            SignRequestStatus::Fulfilled | SignRequestStatus::Rejected | SignRequestStatus::Expired
        )
    }
}

/// Gas a callback receiver may use when `RunCallback` calls it.
pub const CALLBACK_GAS_LIMIT: u64 = 1_000_000;

/// Sent to a requesting contract when its request ends (it opted in with `callback: true`).
/// Delivered so that a failing receiver cannot revert the settlement.
#[cw_serde]
pub enum CallbackMsg {
    SignatureRequestFinished {
        request_id: u64,
        status: SignRequestStatus,
        /// The verified signatures, one per item, when fulfilled.
        signatures: Option<Vec<Binary>>,
        /// ECDSA: the recovery id of each signature, when fulfilled (see `SignResult`); left
        /// out otherwise, so an EdDSA request's callback keeps the shape it had before.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recovery_ids: Option<Vec<u8>>,
    },
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(SignatureRequestResponse)]
    Request { request_id: u64 },
    /// The connector's work list: requests of a keyring in a status, over an index, ordered by
    /// deadline height, then id (the most urgent first). The deadline is the MPC deadline once
    /// the request has one, else the approval deadline. `start_after` is the last id of the
    /// previous page. An open request past its deadline reads as expired: it is listed under
    /// `Expired`, not under `Partial` or `Pending`.
    #[returns(SignatureRequestsResponse)]
    RequestsByKeyring {
        keyring_id: u64,
        status: SignRequestStatus,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(SignatureRequestsResponse)]
    RequestsByKey {
        key_id: u64,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(SignatureRequestsResponse)]
    RequestsByWorkspace {
        workspace_id: u64,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(SignatureRequestsResponse)]
    RequestsByRequester {
        requester: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// Open (`partial`) requests that `approver` may still approve or reject under the sign
    /// policy and owners in force now, however they became eligible: computed at query time over
    /// the approver's workspaces, in workspace id order, then by approval deadline height and id
    /// (the most urgent first). Requests past their approval deadline read as expired and are
    /// left out. A page reads at most `MAX_INBOX_SCAN` entries; continue from `next` until it is
    /// `None`.
    #[returns(RequestsAwaitingApproverResponse)]
    RequestsAwaitingApprover {
        approver: String,
        start_after: Option<InboxCursor>,
        limit: Option<u32>,
    },
    /// The sign policy's evaluation of a request's votes by the policy and owners in force now
    /// (for a `partial` request: as the next vote would see it).
    #[returns(PolicyEvaluationResponse)]
    PolicyEvaluation { request_id: u64 },
}

#[cw_serde]
pub struct ConfigResponse {
    pub workspace_contract: Addr,
    pub keyring_contract: Addr,
    pub approval_timeout_blocks: u64,
    pub mpc_timeout_blocks: u64,
}

#[cw_serde]
pub struct PartySignAnswer {
    pub party: Addr,
    pub result: SignResult,
    pub height: u64,
}

/// A signature request with everything about it, as `QueryMsg::Request` returns it: what was
/// asked (stored once, when the request was made), the votes and the answers (each stored on its
/// own), the key's type, public key, parties and threshold (read from the keyring, where the key
/// lives), and the sign policy and owners in force (read from the workspace).
#[cw_serde]
#[schemars(rename = "SignatureRequestResponse")]
pub struct SignatureRequest {
    pub id: u64,
    pub key_id: u64,
    pub keyring_id: u64,
    pub workspace_id: u64,
    pub key_type: KeyType,
    pub public_key: Binary,
    pub requester: Addr,
    /// What is signed: 32-byte hashes (ECDSA) or messages (EdDSA); for a payload request, the
    /// digest of each payload.
    pub items: Vec<Binary>,
    /// A payload request's payloads, in item order (`None`: the items were given as they are,
    /// blind signing).
    pub payloads: Option<Vec<Payload>>,
    /// As seen at the query's height: an overdue open request reads as `Expired` (it keeps its
    /// open status in storage until `Expire` settles it).
    pub status: SignRequestStatus,
    /// The sign policy in force for the key (its own, else the workspace's) and the workspace's
    /// owners, now. Approvals are judged live, by the policy and owners in force at each vote.
    pub policy: Policy,
    pub owners: Vec<Addr>,
    /// Who approved and who rejected, in address order. While `partial`, the votes that count:
    /// cast by current owners under their current membership. Once it has moved on, the votes
    /// its approval phase ended with.
    pub approvals: Vec<Addr>,
    pub rejections: Vec<Addr>,
    /// Parties and threshold of the key.
    pub parties: Vec<Addr>,
    pub party_threshold: u32,
    /// The parties' answers, in the order they were given.
    pub answers: Vec<PartySignAnswer>,
    /// One verified signature per item, once fulfilled: the set that `party_threshold` parties
    /// submitted byte for byte.
    pub signatures: Option<Vec<Binary>>,
    /// ECDSA: the recovery id (0 or 1) of each of `signatures`, once fulfilled, checked on chain
    /// with `secp256k1_recover_pubkey`. `None` for an EdDSA key.
    pub recovery_ids: Option<Vec<u8>>,
    /// What the requester paid; held until the request ends.
    pub fee: Vec<Coin>,
    pub callback: Option<Addr>,
    /// The request is final and its callback has not run yet (`RunCallback` runs it).
    pub callback_due: bool,
    pub created_height: u64,
    pub approval_deadline_height: u64,
    /// Blocks the parties have once the request is pending: the MPC deadline is set from it when
    /// approvals complete.
    pub mpc_timeout_blocks: u64,
    /// Set when the request becomes pending: the height by which the parties must answer.
    pub mpc_deadline_height: Option<u64>,
    pub reject_reason: Option<String>,
}

/// What `QueryMsg::Request` returns.
pub type SignatureRequestResponse = SignatureRequest;

/// A signature request as the lists return it: which request, and where it stands as seen at the
/// query's height. `QueryMsg::Request` has everything else. (Lists read only their index and what
/// a request's place in it needs, so a page costs the same however large the requests are.)
#[cw_serde]
pub struct SignatureRequestSummary {
    pub id: u64,
    pub status: SignRequestStatus,
    /// The height by which the request must move: its MPC deadline once it has one, else its
    /// approval deadline (the lists by keyring and by approver are ordered by it).
    pub deadline_height: u64,
}

impl SignatureRequestSummary {
    pub fn new(id: u64, status: SignRequestStatus, deadline_height: u64) -> Self {
        SignatureRequestSummary {
            id,
            status,
            deadline_height,
        }
    }
}

#[cw_serde]
pub struct SignatureRequestsResponse {
    pub requests: Vec<SignatureRequestSummary>,
}

#[cw_serde]
pub struct RequestsAwaitingApproverResponse {
    pub requests: Vec<SignatureRequestSummary>,
    /// Where the next page starts; `None` once every workspace of the approver has been read.
    pub next: Option<InboxCursor>,
}

#[cw_serde]
pub struct PolicyEvaluationResponse {
    pub request_id: u64,
    pub policy: Policy,
    pub approvals: Vec<Addr>,
    pub rejections: Vec<Addr>,
    pub evaluation: Evaluation,
}
