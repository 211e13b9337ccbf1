//! Why a message is refused: the refusals every contract shares (`mpc_contract_kit::contract_error!`),
//! then this contract's own.

use cosmwasm_std::Addr;
use mpc_contract_kit::fees::FeeError;
use mpc_interfaces::signature_requests::SignRequestStatus;
use mpc_interfaces::{HashKind, KeyType};

mpc_contract_kit::contract_error! {
    status: SignRequestStatus;

    #[error("keyring {keyring_id} is not active")]
    KeyringInactive { keyring_id: u64 },

    #[error("a request needs at least one item to sign")]
    NoItems,

    #[error("request has {count} items; at most {max} are allowed")]
    TooManyItems { count: usize, max: usize },

    #[error("item {index} is {len} bytes; an ECDSA item must be a {expected}-byte hash")]
    WrongHashLength {
        index: usize,
        len: usize,
        expected: usize,
    },

    #[error("item {index} is {len} bytes; an EdDSA message must be 1 to {max} bytes")]
    WrongMessageLength {
        index: usize,
        len: usize,
        max: usize,
    },

    /// Payloads are hashed into what an ECDSA secp256k1 key signs; an EdDSA key signs messages
    /// (`RequestSignature`).
    #[error("payloads are for ECDSA secp256k1 keys; this key is {key_type:?}: request its messages with request_signature")]
    PayloadNeedsEcdsaKey { key_type: KeyType },

    #[error("payload {index} is {len} bytes; at most {max} bytes per payload (MAX_PAYLOAD_LEN)")]
    PayloadTooLong { index: usize, len: usize, max: usize },

    #[error("the payloads are {total} bytes in all; at most {max} bytes per request (MAX_PAYLOADS_LEN)")]
    PayloadsTooLong { total: usize, max: usize },

    /// EIP-712 typed data is hashed by every MPC party, not on chain: the request carries the
    /// digest its requester computed, which the parties check.
    #[error("payload {index} (eip712) needs the 32-byte digest of its typed data")]
    Eip712NeedsDigest { index: usize },

    #[error("payload {index} ({hash}) is hashed on chain: give no digest")]
    DigestNotExpected { index: usize, hash: HashKind },

    /// Funds sent with a signature request are not the keyring's fee (or its `max_fee`), or
    /// the fee is above the `max_fee`.
    #[error("{0}")]
    Fee(#[from] FeeError),

    #[error("the sign policy cannot be satisfied by the owners of workspace {workspace_id}")]
    PolicyUnsatisfiable { workspace_id: u64 },

    #[error("callback requested by {sender}, which is not a contract")]
    CallbackNotContract { sender: Addr },

    #[error("signature request {request_id} has no callback")]
    NoCallback { request_id: u64 },

    #[error("signature request {request_id} is {status:?}: its callback runs once it is final")]
    NotFinal {
        request_id: u64,
        status: SignRequestStatus,
    },

    #[error("the callback of signature request {request_id} has already run")]
    CallbackAlreadyRun { request_id: u64 },

    #[error("signature request {request_id} not found")]
    RequestNotFound { request_id: u64 },

    #[error("signature request {request_id} is {status:?}, not waiting for approvals")]
    NotAwaitingApprovals {
        request_id: u64,
        status: SignRequestStatus,
    },

    #[error("signature request {request_id} is {status:?}, not pending")]
    NotPending {
        request_id: u64,
        status: SignRequestStatus,
    },

    #[error("{count} signatures submitted; the request has {expected} items")]
    WrongSignatureCount { count: usize, expected: usize },

    #[error("signature {index} is {len} bytes; a signature must be {expected} bytes")]
    WrongSignatureLength {
        index: usize,
        len: usize,
        expected: usize,
    },

    #[error("signature {index} does not verify against the key")]
    InvalidSignature { index: usize },

    /// An ECDSA answer carries one recovery id per signature; an EdDSA answer none.
    #[error("{count} recovery ids submitted; the answer needs {expected} (one per ECDSA signature, none for EdDSA)")]
    WrongRecoveryIdCount { count: usize, expected: usize },

    #[error("recovery id {id} of signature {index} is not 0 or 1")]
    RecoveryIdOutOfRange { index: usize, id: u8 },

    /// The signature is valid, but its recovery id recovers another key (the other id is right).
    #[error("recovery id {id} of signature {index} does not recover the key")]
    WrongRecoveryId { index: usize, id: u8 },

    /// ECDSA signatures must be canonical: s in the lower half of the curve order (BIP-62, EIP-2,
    /// Cosmos SDK). The high-S twin of a valid signature is refused, not normalised.
    #[error("signature {index} is not low-S (s must be at most n/2)")]
    HighS { index: usize },

}
