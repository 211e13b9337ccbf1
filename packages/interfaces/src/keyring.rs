//! Keyring contract: keyrings (admins, parties, threshold, fees, active), key requests and keys.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Binary, Coin};

use crate::KeyType;

/// Most parties a keyring may have.
pub const MAX_PARTIES: usize = 20;
/// Most admins a keyring may have.
pub const MAX_ADMINS: usize = 10;
/// Longest keyring description, in bytes.
pub const MAX_DESCRIPTION_LEN: usize = 256;
/// Longest failure reason a party may give, in bytes.
pub const MAX_REASON_LEN: usize = 256;
/// Most requests one `ExpireKeyRequests` settles.
pub const MAX_EXPIRE_BATCH: usize = 30;
/// Most denominations one fee (`key_req_fee`, `sig_req_fee`) may have.
pub const MAX_FEE_DENOMS: usize = 8;
/// Key request timeout used when the instantiate message gives none.
pub const DEFAULT_KEY_REQUEST_TIMEOUT_BLOCKS: u64 = 1_000;
/// Longest a key request may wait for the parties, in blocks.
pub const MAX_KEY_REQUEST_TIMEOUT_BLOCKS: u64 = 100_000;

/// The execute response `data` (JSON) of `CreateKeyring`.
#[cw_serde]
pub struct KeyringCreated {
    pub keyring_id: u64,
}

#[cw_serde]
pub struct InstantiateMsg {
    /// Address of the workspace contract, asked whether a requester owns a workspace.
    pub workspace_contract: String,
    /// Blocks a key request waits for the parties before it expires (default 1_000).
    pub key_request_timeout_blocks: Option<u64>,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Create a keyring; the sender becomes its first admin.
    CreateKeyring {
        description: String,
        parties: Vec<String>,
        party_threshold: u32,
        key_req_fee: Vec<Coin>,
        sig_req_fee: Vec<Coin>,
    },
    /// Admin only. `new_threshold` (if given) replaces the party threshold, checked against the new
    /// party count.
    AddParty {
        keyring_id: u64,
        party: String,
        new_threshold: Option<u32>,
    },
    /// Admin only. Refused when the threshold would exceed the remaining parties and no
    /// `new_threshold` fixes it.
    RemoveParty {
        keyring_id: u64,
        party: String,
        new_threshold: Option<u32>,
    },
    AddAdmin {
        keyring_id: u64,
        admin: String,
    },
    /// Never removes the last admin.
    RemoveAdmin {
        keyring_id: u64,
        admin: String,
    },
    /// Admin only; fields left `None` stay as they are.
    UpdateKeyring {
        keyring_id: u64,
        description: Option<String>,
        party_threshold: Option<u32>,
        key_req_fee: Option<Vec<Coin>>,
        sig_req_fee: Option<Vec<Coin>>,
    },
    /// Admin only: the keyring takes no new requests. Open requests still complete.
    DeactivateKeyring {
        keyring_id: u64,
    },
    /// Admin only: take new requests again.
    ActivateKeyring {
        keyring_id: u64,
    },
    /// A workspace owner asks an active keyring for a new key, paying `key_req_fee` (exactly,
    /// or as part of `max_fee`). The key starts under the workspace's sign policy; a policy of
    /// its own is set with the workspace's admin action `SetKeyPolicy`, so through the admin
    /// policy, never by one owner. The response data is a `RequestCreated`.
    RequestKey {
        workspace_id: u64,
        keyring_id: u64,
        key_type: KeyType,
        /// Blocks to wait for the parties; default from the config.
        timeout_blocks: Option<u64>,
        /// The most the requester agrees to pay. When given, the funds must be exactly this;
        /// the fee in force is charged and the rest returned in the same transaction, and a fee
        /// above it refuses the request (a fee changed after the requester looked it up).
        #[serde(default)]
        max_fee: Option<Vec<Coin>>,
    },
    /// A party of the keyring answers a pending key request, once.
    SubmitKeyResult {
        request_id: u64,
        result: KeyResult,
    },
    /// Settle overdue key requests as expired and refund them (permissionless).
    ExpireKeyRequests {
        request_ids: Vec<u64>,
    },
    /// The contract's admin on the chain changes the workspace contract or the default key
    /// request timeout (each given field; requests already made keep theirs).
    UpdateConfig {
        workspace_contract: Option<String>,
        key_request_timeout_blocks: Option<u64>,
    },
}

/// Migrating to new code may change the config as `ExecuteMsg::UpdateConfig` does (each given
/// field; `{}` changes nothing).
#[cw_serde]
#[derive(Default)]
pub struct MigrateMsg {
    pub workspace_contract: Option<String>,
    pub key_request_timeout_blocks: Option<u64>,
}

/// One party's answer to a key request.
#[cw_serde]
pub enum KeyResult {
    /// The public key that this party's distributed key generation produced.
    Success { public_key: Binary },
    /// This party could not take part.
    Failure { reason: String },
}

#[cw_serde]
#[derive(Copy, Eq, Hash)]
pub enum KeyRequestStatus {
    Pending,
    Fulfilled,
    Rejected,
    Expired,
}

impl KeyRequestStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            KeyRequestStatus::Pending => "pending",
            KeyRequestStatus::Fulfilled => "fulfilled",
            KeyRequestStatus::Rejected => "rejected",
            KeyRequestStatus::Expired => "expired",
        }
    }

    pub fn is_final(&self) -> bool {
        !matches!(self, KeyRequestStatus::Pending)
    }
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(KeyringResponse)]
    Keyring { keyring_id: u64 },
    #[returns(KeyringsResponse)]
    Keyrings {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(KeyRequestResponse)]
    KeyRequest { request_id: u64 },
    /// The connector's work list: requests of a keyring in a status, over an index, ordered by
    /// deadline height, then id (the most urgent first); `start_after` is the last id of the
    /// previous page. A pending request past its deadline reads as expired: it is listed under
    /// `Expired`, not under `Pending`.
    #[returns(KeyRequestsResponse)]
    KeyRequestsByKeyring {
        keyring_id: u64,
        status: KeyRequestStatus,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(KeyResponse)]
    Key { key_id: u64 },
    #[returns(KeysResponse)]
    KeysByWorkspace {
        workspace_id: u64,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// A key with what a signature request with it needs from its keyring: whether the keyring
    /// is active and the signature fee. What the signature-requests contract reads when a request
    /// is made (one query instead of `Key` then `Keyring`).
    #[returns(SigningKeyResponse)]
    SigningKey { key_id: u64 },
    /// The exact coins a key request on the keyring costs now: what `RequestKey` must carry.
    #[returns(FeeResponse)]
    KeyRequestFee { keyring_id: u64 },
    /// The exact coins a signature request with the key costs now: what the signature-requests
    /// contract's `RequestSignature` must carry (the fee of the key's keyring).
    #[returns(FeeResponse)]
    SignatureRequestFee { key_id: u64 },
    /// The addresses the key controls on other chains. A secp256k1 key: its EVM address
    /// (EIP-55), its Cosmos SDK address under `bech32_prefix` when one is given (lower-case
    /// letters and digits, e.g. "cosmos", "osmo"), its Bitcoin P2WPKH addresses. An Ed25519 key:
    /// its Solana address (`bech32_prefix` is not read).
    #[returns(AddressesResponse)]
    Addresses {
        key_id: u64,
        bech32_prefix: Option<String>,
    },
}

/// The addresses a key controls (`QueryMsg::Addresses`); each is `None` where the key's type has
/// none.
#[cw_serde]
pub struct AddressesResponse {
    pub key_id: u64,
    /// secp256k1: the last 20 bytes of keccak256 of the uncompressed point, EIP-55 checksummed.
    /// `None` also for a key whose x coordinate is at least the curve order (probability about
    /// 2^-128): the chain's `secp256k1_recover_pubkey`, which the contract decompresses the key
    /// with, cannot express it.
    pub evm: Option<String>,
    /// secp256k1, when a prefix is given: bech32(prefix, ripemd160(sha256(key))).
    pub cosmos: Option<String>,
    /// secp256k1: native segwit v0 (P2WPKH) addresses.
    pub bitcoin: Option<BitcoinAddresses>,
    /// Ed25519: the key in base58.
    pub solana: Option<String>,
}

/// A key's P2WPKH address on each Bitcoin network.
#[cw_serde]
pub struct BitcoinAddresses {
    /// `bc1q…`
    pub mainnet: String,
    /// `tb1q…` (testnet and signet)
    pub testnet: String,
    /// `bcrt1q…`
    pub regtest: String,
}

#[cw_serde]
pub struct SigningKeyResponse {
    pub key: KeyResponse,
    pub keyring_active: bool,
    /// The keyring's signature request fee.
    pub fee: Vec<Coin>,
}

/// The exact coins to send with a request (empty: it is free).
#[cw_serde]
pub struct FeeResponse {
    pub fee: Vec<Coin>,
}

#[cw_serde]
pub struct ConfigResponse {
    pub workspace_contract: Addr,
    pub key_request_timeout_blocks: u64,
}

/// A keyring: what the keyring contract stores, and what `QueryMsg::Keyring` returns as is.
// Field names and order are the contract's storage layout: add fields only with a migration.
#[cw_serde]
#[schemars(rename = "KeyringResponse")]
pub struct Keyring {
    pub id: u64,
    pub creator: Addr,
    pub description: String,
    pub admins: Vec<Addr>,
    pub parties: Vec<Addr>,
    pub party_threshold: u32,
    /// Sorted by denom, no zero amounts, no duplicate denoms.
    pub key_req_fee: Vec<Coin>,
    pub sig_req_fee: Vec<Coin>,
    pub active: bool,
}

/// What `QueryMsg::Keyring` returns: the stored [`Keyring`] (the schema's name for it).
pub type KeyringResponse = Keyring;

#[cw_serde]
pub struct KeyringsResponse {
    pub keyrings: Vec<KeyringResponse>,
}

/// One party's recorded answer.
#[cw_serde]
pub struct PartyKeyAnswer {
    pub party: Addr,
    pub result: KeyResult,
    pub height: u64,
}

/// A key request as `QueryMsg::KeyRequest` returns it, with `status` as seen at the query's height:
/// what was asked (stored once, when it was made), the answers (each stored on its own) and how
/// it ended.
#[cw_serde]
#[schemars(rename = "KeyRequestResponse")]
pub struct KeyRequest {
    pub id: u64,
    pub workspace_id: u64,
    pub keyring_id: u64,
    pub requester: Addr,
    pub key_type: KeyType,
    /// In a query response, as seen now: an overdue pending request reads as `Expired`. As
    /// stored, it stays `Pending` until `ExpireKeyRequests` settles it.
    pub status: KeyRequestStatus,
    /// Parties and threshold of the keyring when the request was made; they answer it.
    pub parties: Vec<Addr>,
    pub party_threshold: u32,
    /// At most one per party, in the order they arrived.
    pub answers: Vec<PartyKeyAnswer>,
    /// The fee paid with the request, held until it ends.
    pub fee: Vec<Coin>,
    pub created_height: u64,
    /// Last height at which answers are taken.
    pub deadline_height: u64,
    /// Set once fulfilled.
    pub key_id: Option<u64>,
    pub reject_reason: Option<String>,
}

/// What `QueryMsg::KeyRequest` returns: a [`KeyRequest`] with its status as seen at the query's
/// height (the schema's name for it).
pub type KeyRequestResponse = KeyRequest;

/// A key request as the lists return it: which request, and where it stands as seen at the
/// query's height. `QueryMsg::KeyRequest` has everything else.
#[cw_serde]
pub struct KeyRequestSummary {
    pub id: u64,
    pub status: KeyRequestStatus,
    /// The last height at which answers are taken (the lists are ordered by it).
    pub deadline_height: u64,
}

impl KeyRequestSummary {
    pub fn new(id: u64, status: KeyRequestStatus, deadline_height: u64) -> Self {
        KeyRequestSummary {
            id,
            status,
            deadline_height,
        }
    }
}

#[cw_serde]
pub struct KeyRequestsResponse {
    pub requests: Vec<KeyRequestSummary>,
}

/// A key: what the keyring contract stores, and what `QueryMsg::Key` returns as is.
// Field names and order are the contract's storage layout: add fields only with a migration.
#[cw_serde]
#[schemars(rename = "KeyResponse")]
pub struct Key {
    pub id: u64,
    pub workspace_id: u64,
    pub keyring_id: u64,
    pub key_type: KeyType,
    pub public_key: Binary,
    /// Parties and threshold recorded at creation: these answer the key's signature requests.
    pub parties: Vec<Addr>,
    pub party_threshold: u32,
    pub request_id: u64,
    pub created_height: u64,
}

/// What `QueryMsg::Key` returns: the stored [`Key`] (the schema's name for it).
pub type KeyResponse = Key;

#[cw_serde]
pub struct KeysResponse {
    pub keys: Vec<KeyResponse>,
}

/// The keyring contract at an address, with typed queries (in the manner of cw-plus'
/// `Cw4Contract`): what the other contracts call instead of raw smart queries.
#[cw_serde]
pub struct KeyringContract(pub cosmwasm_std::Addr);

impl KeyringContract {
    pub fn addr(&self) -> &cosmwasm_std::Addr {
        &self.0
    }

    pub fn key(
        &self,
        querier: &cosmwasm_std::QuerierWrapper,
        key_id: u64,
    ) -> cosmwasm_std::StdResult<KeyResponse> {
        querier.query_wasm_smart(&self.0, &QueryMsg::Key { key_id })
    }

    pub fn signing_key(
        &self,
        querier: &cosmwasm_std::QuerierWrapper,
        key_id: u64,
    ) -> cosmwasm_std::StdResult<SigningKeyResponse> {
        querier.query_wasm_smart(&self.0, &QueryMsg::SigningKey { key_id })
    }
}
