//! Event and attribute names. Contracts emit custom events `wasm-<type>`; the connector and
//! indexers filter on these names, so they live here, in one place.

/// Event type of workspace records (`wasm-workspace`).
pub const WORKSPACE_EVENT: &str = "workspace";
/// Event type of admin actions on workspaces (`wasm-admin_action`).
pub const ADMIN_ACTION_EVENT: &str = "admin_action";
/// Event type of keyring records (`wasm-keyring`).
pub const KEYRING_EVENT: &str = "keyring";
/// Event type of key requests (`wasm-key_request`).
pub const KEY_REQUEST_EVENT: &str = "key_request";
/// Event type of keys (`wasm-key`).
pub const KEY_EVENT: &str = "key";
/// Event type of a contract's configuration (`wasm-config`, action `updated`, one attribute per
/// changed field with its new value).
pub const CONFIG_EVENT: &str = "config";
/// Event type of signature requests (`wasm-signature_request`).
pub const SIGNATURE_REQUEST_EVENT: &str = "signature_request";

/// Attribute names.
pub mod attr {
    pub const ACTION: &str = "action";
    pub const WORKSPACE_ID: &str = "workspace_id";
    pub const ACTION_ID: &str = "action_id";
    pub const KEYRING_ID: &str = "keyring_id";
    pub const REQUEST_ID: &str = "request_id";
    pub const KEY_ID: &str = "key_id";
    pub const KEY_TYPE: &str = "key_type";
    pub const STATUS: &str = "status";
    pub const SENDER: &str = "sender";
    pub const OWNER: &str = "owner";
    pub const PARTY: &str = "party";
    pub const ADMIN: &str = "admin";
    /// An address that may approve, once per approver (on a new `partial` request or admin
    /// action). Lists are repeated attributes, as `owner` and `party` are.
    pub const APPROVER: &str = "approver";
    /// Who made a request (on its `created` event).
    pub const REQUESTER: &str = "requester";
    /// How a payload request's payloads are hashed (`keccak256`, `eip712`, ...), one attribute
    /// per payload in item order (on its `created` event).
    pub const HASH: &str = "hash";
    pub const PUBLIC_KEY: &str = "public_key";
    pub const REASON: &str = "reason";
    pub const ANSWERS: &str = "answers";
    pub const FAILURES: &str = "failures";
    /// Workspace events: the parent of a new child workspace, the child added to a parent.
    pub const PARENT_ID: &str = "parent_id";
    pub const CHILD_ID: &str = "child_id";
    /// Workspace `updated` events: which field changed (`admin_policy`, `sign_policy`, `alias`).
    pub const FIELD: &str = "field";
    /// A final signature request's contract to call back (`RunCallback`), on its final event.
    pub const CALLBACK: &str = "callback";
    /// A voter whose vote was voided (on a `vote_voided` event): they stopped being an owner, or
    /// stopped and became one again, since they cast it.
    pub const VOTER: &str = "voter";
}

/// Values of the `action` attribute.
pub mod action {
    pub const CREATED: &str = "created";
    pub const UPDATED: &str = "updated";
    pub const APPROVED: &str = "approved";
    pub const REJECTED: &str = "rejected";
    pub const PENDING: &str = "pending";
    pub const PARTY_RESULT: &str = "party_result";
    pub const FULFILLED: &str = "fulfilled";
    pub const EXPIRED: &str = "expired";
    pub const EXECUTED: &str = "executed";
    pub const OWNER_ADDED: &str = "owner_added";
    pub const OWNER_REMOVED: &str = "owner_removed";
    pub const CHILD_ADDED: &str = "child_added";
    pub const PARTY_ADDED: &str = "party_added";
    pub const PARTY_REMOVED: &str = "party_removed";
    pub const ADMIN_ADDED: &str = "admin_added";
    pub const ADMIN_REMOVED: &str = "admin_removed";
    pub const DEACTIVATED: &str = "deactivated";
    pub const ACTIVATED: &str = "activated";
    /// `RunCallback` called the requesting contract back (`callback_failed` follows when it failed).
    pub const CALLBACK_RUN: &str = "callback_run";
    pub const CALLBACK_FAILED: &str = "callback_failed";
    /// A vote cast under a membership that has ended no longer counts; emitted when the record
    /// it was cast on is next moved, one event per voided vote (attribute `voter`).
    pub const VOTE_VOIDED: &str = "vote_voided";
    /// The requester (proposer) withdrew its open request (admin action).
    pub const CANCELLED: &str = "cancelled";
}
