//! Why a message is refused: the refusals every contract shares (`mpc_contract_kit::contract_error!`),
//! then this contract's own.

use cosmwasm_std::Addr;
use mpc_contract_kit::fees::FeeError;
use mpc_interfaces::keyring::KeyRequestStatus;

mpc_contract_kit::contract_error! {
    status: KeyRequestStatus;

    /// Funds sent with a key request are not exactly the keyring's fee.
    #[error("{0}")]
    Fee(#[from] FeeError),

    // --- authorisation ---
    #[error("{sender} is not an admin of keyring {keyring_id}")]
    NotAdmin { sender: Addr, keyring_id: u64 },

    #[error("{sender} is not a party of key request {request_id}")]
    NotParty { sender: Addr, request_id: u64 },

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

    #[error("{count} parties is more than the {max} a keyring may have")]
    TooManyParties { count: usize, max: usize },

    #[error("{party} is already a party of the keyring")]
    DuplicateParty { party: String },

    #[error("{party} is not a party of keyring {keyring_id}")]
    UnknownParty { keyring_id: u64, party: String },

    #[error("cannot remove the last party of keyring {keyring_id}")]
    CannotRemoveLastParty { keyring_id: u64 },

    #[error("party threshold {threshold} is out of range 1..={parties}")]
    ThresholdOutOfRange { threshold: u32, parties: usize },

    #[error("{admin} is already an admin of the keyring")]
    DuplicateAdmin { admin: String },

    #[error("{admin} is not an admin of keyring {keyring_id}")]
    UnknownAdmin { keyring_id: u64, admin: String },

    #[error("a keyring may have at most {max} admins")]
    TooManyAdmins { max: usize },

    #[error("cannot remove the last admin of keyring {keyring_id}")]
    CannotRemoveLastAdmin { keyring_id: u64 },

    #[error("description is {len} bytes; at most {max} are allowed")]
    DescriptionTooLong { len: usize, max: usize },

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

    #[error("{sender} has already answered key request {request_id}")]
    AlreadyAnswered { sender: Addr, request_id: u64 },

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

    #[error("failure reason is {len} bytes; at most {max} are allowed")]
    ReasonTooLong { len: usize, max: usize },
}
