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
    /// A party sent a message that does not decode or does not belong where it arrived.
    #[error("malformed message from party {party}: {reason}")]
    Malformed { party: PartyIndex, reason: String },
    /// Share storage failed (I/O, decryption, authentication).
    #[error("store: {0}")]
    Store(String),
    /// No stored key with this id.
    #[error("unknown key {0}")]
    UnknownKey(String),
    /// The caller asked for something impossible (bad threshold, unknown party, empty input...).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Every signer set tried failed; `last` is the last attempt's error.
    #[error("signing failed after {attempts} attempts: {last}")]
    AttemptsExhausted { attempts: u32, last: Box<MpcError> },
}

impl MpcError {
    /// The party this error blames, if any.
    pub fn culprit(&self) -> Option<PartyIndex> {
        match self {
            MpcError::Protocol { party, .. } => *party,
            MpcError::Malformed { party, .. } => Some(*party),
            MpcError::AttemptsExhausted { last, .. } => last.culprit(),
            _ => None,
        }
    }
}
