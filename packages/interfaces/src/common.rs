use cosmwasm_schema::cw_serde;

/// Default page size of every list query.
pub const DEFAULT_LIMIT: u32 = 10;
/// Largest page any list query returns, whatever `limit` asks for.
pub const MAX_LIMIT: u32 = 100;

/// Clamps a requested page size to `1..=MAX_LIMIT`, defaulting to `DEFAULT_LIMIT`.
pub fn page_limit(limit: Option<u32>) -> usize {
    limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize
}

/// Most entries (workspaces and records) one page of an approver's inbox reads, whatever it
/// finds: the inboxes are computed at query time over the approver's workspaces, so a page that
/// steps over many records the approver voted on, or many workspaces with nothing open, stops
/// here and says where to continue (`InboxCursor`).
pub const MAX_INBOX_SCAN: usize = 100;

/// Where a page of an approver's inbox continues: in workspace `workspace_id`, after record
/// `after` (from the workspace's first open record when `None`). Inboxes are ordered by
/// workspace id, then by deadline height and id within a workspace.
#[cw_serde]
#[derive(Copy, Eq)]
pub struct InboxCursor {
    pub workspace_id: u64,
    pub after: Option<u64>,
}

/// The execute response `data` (JSON) of a message that makes a request (`RequestKey`,
/// `RequestSignature`): clients read the id from the transaction's message responses instead of
/// parsing events.
#[cw_serde]
pub struct RequestCreated {
    pub request_id: u64,
}

/// The signature scheme of a key.
#[cw_serde]
#[derive(Copy, Eq, Hash, PartialOrd, Ord)]
pub enum KeyType {
    /// ECDSA over secp256k1: 33-byte compressed public key, 64-byte r||s (low-s) signatures over
    /// 32-byte hashes.
    EcdsaSecp256k1,
    /// EdDSA over Ed25519: 32-byte public key, 64-byte signatures over messages.
    EddsaEd25519,
}

impl KeyType {
    pub fn as_str(&self) -> &'static str {
        match self {
            KeyType::EcdsaSecp256k1 => "ecdsa_secp256k1",
            KeyType::EddsaEd25519 => "eddsa_ed25519",
        }
    }

    /// Length in bytes of a well-formed public key of this type.
    pub fn public_key_len(&self) -> usize {
        match self {
            KeyType::EcdsaSecp256k1 => 33,
            KeyType::EddsaEd25519 => 32,
        }
    }
}
