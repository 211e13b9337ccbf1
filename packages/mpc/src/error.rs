//! The one error type of the MPC party.

use crate::transport::PartyIndex;

#[derive(thiserror::Error, Debug)]
pub enum MpcError {
    /// A protocol step did not complete in time; `waiting_for` names the parties that did not answer.
    #[error("timed out after {after_ms} ms in {step}, waiting for parties {waiting_for:?}")]
    Timeout {
        step: String,
        after_ms: u64,
        waiting_for: Vec<PartyIndex>,
    },
    /// The transport failed (connection, channel closed, bad configuration).
    #[error("transport: {0}")]
    Transport(String),
    /// The protocol failed; `party` is the culprit when it is known.
    #[error("protocol failure (party {party:?}): {reason}")]
    Protocol {
        party: Option<PartyIndex>,
        reason: String,
    },
    /// Parties caught cheating by the protocol (an equivocated broadcast, an invalid proof);
    /// `parties` are keyring indices, sorted.
    #[error("parties {parties:?} misbehaved: {reason}")]
    Misbehaved {
        parties: Vec<PartyIndex>,
        reason: String,
    },
    /// A party sent a message that does not decode or does not belong where it arrived.
    #[error("malformed message from party {party}: {reason}")]
    Malformed { party: PartyIndex, reason: String },
    /// Share storage failed (I/O, decryption, authentication).
    #[error("store: {0}")]
    Store(String),
    /// The share-store secret does not open this store (another key or passphrase, or a key
    /// given for a passphrase store or the reverse). Nothing was written.
    #[error("wrong share-store secret: {0}")]
    WrongStoreSecret(String),
    /// The store holds records but its salt/KDF file is gone: restore it, a new one would make
    /// every record unreadable. Nothing was written.
    #[error("share store has lost its salt: {0}")]
    MissingSalt(String),
    /// A record (or the KDF file) is damaged: it fails authentication or does not decode, while
    /// the secret is right.
    #[error("share store record {id} is corrupted: {reason}")]
    CorruptedRecord { id: String, reason: String },
    /// No stored key with this id.
    #[error("unknown key {0}")]
    UnknownKey(String),
    /// The caller asked for something impossible (bad threshold, unknown party, empty input...).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Every attempt of a call failed; `last` is the last attempt's error.
    #[error("failed after {attempts} attempts: {last}")]
    AttemptsExhausted { attempts: u32, last: Box<MpcError> },
}

impl MpcError {
    /// Whether this party itself cannot take part (it holds no share, the request is invalid
    /// for it, its store fails): another attempt cannot help, and the party says so on chain.
    /// Every other failure (a party silent, late or cheating, a transport hiccup) may pass in
    /// another window, with other signers.
    pub fn is_local(&self) -> bool {
        match self {
            MpcError::InvalidRequest(_)
            | MpcError::UnknownKey(_)
            | MpcError::Store(_)
            | MpcError::WrongStoreSecret(_)
            | MpcError::MissingSalt(_)
            | MpcError::CorruptedRecord { .. } => true,
            MpcError::AttemptsExhausted { last, .. } => last.is_local(),
            _ => false,
        }
    }

    /// The error of the last attempt when this one says the attempts ran out, else itself.
    pub fn last_attempt(&self) -> &MpcError {
        match self {
            MpcError::AttemptsExhausted { last, .. } => last.last_attempt(),
            other => other,
        }
    }

    /// The first party this error blames, if any.
    pub fn culprit(&self) -> Option<PartyIndex> {
        self.blamed().first().copied()
    }

    /// Every party this error blames (keyring indices, sorted), for the operator's records and to
    /// avoid them in the next signing attempt. A timeout blames nobody: a slow party is not
    /// proven to cheat.
    pub fn blamed(&self) -> Vec<PartyIndex> {
        match self {
            MpcError::Protocol { party, .. } => party.iter().copied().collect(),
            MpcError::Malformed { party, .. } => vec![*party],
            MpcError::Misbehaved { parties, .. } => parties.clone(),
            MpcError::AttemptsExhausted { last, .. } => last.blamed(),
            _ => Vec::new(),
        }
    }
}
