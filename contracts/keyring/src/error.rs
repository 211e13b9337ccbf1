//! Why a message is refused: the refusals every contract shares (`mpc_contract_kit::contract_error!`),
//! then this contract's own.

use cosmwasm_std::Addr;
use mpc_contract_kit::fees::FeeError;
use mpc_interfaces::keyring::KeyRequestStatus;

use crate::state::Role;

mpc_contract_kit::contract_error! {
    status: KeyRequestStatus;

    /// Funds sent with a key request are not exactly the keyring's fee.
    #[error("{0}")]
    Fee(#[from] FeeError),

    // --- authorisation ---
    #[error("{sender} is not an admin of keyring {keyring_id}")]
    NotAdmin { sender: Addr, keyring_id: u64 },

    // --- records that do not exist ---
    #[error("keyring {keyring_id} does not exist")]
    KeyringNotFound { keyring_id: u64 },

    #[error("key request {request_id} does not exist")]
    KeyRequestNotFound { request_id: u64 },

    #[error("key {key_id} does not exist")]
    KeyNotFound { key_id: u64 },

    #[error("workspace contract refused the query about workspace {workspace_id}: {reason}")]
    WorkspaceQueryFailed { workspace_id: u64, reason: String },

    #[error("{address} is not a valid address")]
    InvalidAddress { address: String },

    // --- keyring shape ---
    #[error("a keyring needs at least one party")]
    NoParties,

    #[error("{count} {role}s is more than the {max} a keyring may have")]
    TooManyMembers { role: Role, count: usize, max: usize },

    #[error("{member} is already a {role} of the keyring")]
    DuplicateMember { role: Role, member: String },

    #[error("{member} is not a {role} of keyring {keyring_id}")]
    UnknownMember { keyring_id: u64, role: Role, member: String },

    /// A keyring always has at least one party and one admin.
    #[error("cannot remove the last {role} of keyring {keyring_id}")]
    CannotRemoveLast { keyring_id: u64, role: Role },

    #[error("party threshold {threshold} is out of range 1..={parties}")]
    ThresholdOutOfRange { threshold: u32, parties: usize },

    #[error("fee coin {denom} has a zero amount")]
    ZeroFeeAmount { denom: String },

    #[error("fee names denom {denom} twice")]
    DuplicateFeeDenom { denom: String },

    #[error("fee has a coin with an empty denom")]
    EmptyFeeDenom,

    #[error("fee has {count} denoms; at most {max} are allowed")]
    TooManyFeeDenoms { count: usize, max: usize },

    #[error("keyring {keyring_id} is already active")]
    KeyringAlreadyActive { keyring_id: u64 },

    #[error("keyring {keyring_id} is already inactive")]
    KeyringAlreadyInactive { keyring_id: u64 },

    // --- key requests ---
    #[error("keyring {keyring_id} is inactive and takes no new requests")]
    KeyringInactive { keyring_id: u64 },

    #[error("{key_type} public key must be {expected} bytes, got {actual}")]
    InvalidPublicKeyLength {
        key_type: String,
        expected: usize,
        actual: usize,
    },

    #[error("compressed secp256k1 public key must start with 0x02 or 0x03, got 0x{prefix:02x}")]
    InvalidPublicKeyPrefix { prefix: u8 },

    #[error("public key is not a point on the secp256k1 curve")]
    PublicKeyNotOnCurve,

    /// Not the canonical encoding of a point on the Ed25519 curve.
    #[error("public key is not a canonically encoded Ed25519 curve point")]
    InvalidEd25519PublicKey,

    /// A point of small order (e.g. the identity): any signature scheme over it is forgeable.
    #[error("Ed25519 public key is a point of small order")]
    SmallOrderPublicKey,

    /// A point with a torsion component (a prime-order point plus one of order 2, 4 or 8): the
    /// chain's verifier accepts its signatures, but cofactorless verifiers on other chains
    /// (ed25519-dalek's `verify_strict`, OpenSSL, Solana) reject many of them.
    #[error("Ed25519 public key is not in the prime-order subgroup (it has a torsion component)")]
    TorsionPublicKey,

    /// A public key is one key of the contract: an answer carrying one already held is refused.
    #[error("the public key is already held by key {key_id}")]
    PublicKeyHeld { key_id: u64 },

    // --- addresses ---
    /// The `Addresses` query's bech32 prefix cannot make a Cosmos address.
    #[error("invalid bech32 prefix {prefix:?}: {reason}")]
    InvalidBech32Prefix { prefix: String, reason: String },

}
