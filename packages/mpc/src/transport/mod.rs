//! Transport between MPC parties: sessions, messages and the [`Transport`] trait.
//!
//! A protocol run opens a [`SessionChannel`] for a [`SessionId`] that every participant derives
//! from the same chain event, then exchanges [`Message`]s with the other participants. The
//! transport authenticates the sender of every message (`Message::from`) and routes by session,
//! so concurrent sessions never mix. Two implementations: [`memory::MemoryNetwork`] (tests, one
//! process) and [`tcp::TcpTransport`] (Noise-encrypted TCP between processes).

pub mod memory;
pub mod ports;
mod router;
pub mod tcp;

use std::fmt;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::error::MpcError;

pub use router::{PeerUsage, RouterLimits, SessionReceiver, MESSAGE_OVERHEAD};

/// Index of a party in the keyring's party list, 0-based.
pub type PartyIndex = u16;

/// Identifies one protocol run; equal on every participant, unique per run.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
pub struct SessionId(pub [u8; 32]);

/// Domain tag of [`SessionId::new`], so these hashes never collide with other uses of sha256.
const SESSION_DOMAIN: &[u8] = b"mpc-party/session-id/v1";

impl SessionId {
    /// sha256 over a domain tag, the contract address, the request kind ("key"/"sign"/"aux"),
    /// request id, attempt. Variable-length fields are length-prefixed so no two inputs collide.
    pub fn new(contract: &str, kind: &str, request_id: u64, attempt: u32) -> Self {
        let mut h = Sha256::new();
        h.update(SESSION_DOMAIN);
        for field in [contract.as_bytes(), kind.as_bytes()] {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field);
        }
        h.update(request_id.to_be_bytes());
        h.update(attempt.to_be_bytes());
        SessionId(h.finalize().into())
    }

    /// A session derived from this one (e.g. one sub-protocol of a run), also equal on all parties.
    pub fn derive(&self, label: &str) -> Self {
        let mut h = Sha256::new();
        h.update(SESSION_DOMAIN);
        h.update(b"/derive");
        h.update(self.0);
        h.update((label.len() as u64).to_be_bytes());
        h.update(label.as_bytes());
        SessionId(h.finalize().into())
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The first 8 bytes are plenty to tell sessions apart in logs.
        write!(f, "{}", hex::encode(&self.0[..8]))
    }
}

/// A message received on a session; `from` is authenticated by the transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub from: PartyIndex,
    pub broadcast: bool,
    pub payload: Vec<u8>,
}

/// A message to send on a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// `None` = broadcast to the session's other participants.
    pub to: Option<PartyIndex>,
    pub payload: Vec<u8>,
}

/// One party's end of a session.
#[derive(Debug)]
pub struct SessionChannel {
    pub me: PartyIndex,
    pub session: SessionId,
    /// Sorted, includes `me`.
    pub participants: Vec<PartyIndex>,
    pub incoming: SessionReceiver,
    pub outgoing: tokio::sync::mpsc::Sender<Outgoing>,
}

impl SessionChannel {
    /// The participants other than me.
    pub fn others(&self) -> impl Iterator<Item = PartyIndex> + '_ {
        self.participants.iter().copied().filter(|p| *p != self.me)
    }

    /// Send a message (`to: None` = to every other participant).
    pub async fn send(&self, to: Option<PartyIndex>, payload: Vec<u8>) -> Result<(), MpcError> {
        self.outgoing
            .send(Outgoing { to, payload })
            .await
            .map_err(|_| MpcError::Transport(format!("session {} closed", self.session)))
    }

    /// The next message, or [`MpcError::Timeout`] naming `waiting_for` after `timeout`.
    pub async fn recv_timeout(
        &mut self,
        step: &str,
        timeout: Duration,
        waiting_for: &[PartyIndex],
    ) -> Result<Message, MpcError> {
        match tokio::time::timeout(timeout, self.incoming.recv()).await {
            Ok(Some(msg)) => Ok(msg),
            Ok(None) => Err(MpcError::Transport(format!(
                "session {} closed while waiting in {step}",
                self.session
            ))),
            Err(_) => Err(MpcError::Timeout {
                step: step.to_string(),
                after_ms: timeout.as_millis() as u64,
                waiting_for: waiting_for.to_vec(),
            }),
        }
    }
}

/// A party's connection to the other parties.
#[async_trait::async_trait]
pub trait Transport: Send + Sync + 'static {
    fn me(&self) -> PartyIndex;
    /// Messages that arrive for a session before it is opened are buffered (bounded), so parties
    /// may start at slightly different times.
    async fn open_session(
        &self,
        session: SessionId,
        participants: Vec<PartyIndex>,
    ) -> Result<SessionChannel, MpcError>;

    /// The parties this one hears from now (itself included), sorted: a party is live while its
    /// heartbeats arrive. Signer sets are chosen among them.
    fn live(&self) -> Vec<PartyIndex>;
}

/// Sorts and checks a participant list: no duplicates, includes `me`.
pub(crate) fn normalise_participants(
    me: PartyIndex,
    mut participants: Vec<PartyIndex>,
) -> Result<Vec<PartyIndex>, MpcError> {
    participants.sort_unstable();
    let before = participants.len();
    participants.dedup();
    if participants.len() != before {
        return Err(MpcError::InvalidRequest(
            "participant list has duplicates".into(),
        ));
    }
    if !participants.contains(&me) {
        return Err(MpcError::InvalidRequest(format!(
            "participant list {participants:?} does not include me ({me})"
        )));
    }
    Ok(participants)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_id_depends_on_every_field() {
        let base = SessionId::new("wasm1contract", "sign", 7, 0);
        assert_eq!(base, SessionId::new("wasm1contract", "sign", 7, 0));
        assert_ne!(base, SessionId::new("wasm1other", "sign", 7, 0));
        assert_ne!(base, SessionId::new("wasm1contract", "key", 7, 0));
        assert_ne!(base, SessionId::new("wasm1contract", "sign", 8, 0));
        assert_ne!(base, SessionId::new("wasm1contract", "sign", 7, 1));
        // Length prefixes keep field boundaries apart.
        assert_ne!(
            SessionId::new("ab", "c", 1, 0),
            SessionId::new("a", "bc", 1, 0)
        );
        assert_ne!(base.derive("x"), base.derive("y"));
    }

    #[test]
    fn participants_are_sorted_and_checked() {
        assert_eq!(
            normalise_participants(1, vec![2, 1, 0]).unwrap(),
            vec![0, 1, 2]
        );
        assert!(normalise_participants(3, vec![0, 1]).is_err());
        assert!(normalise_participants(0, vec![0, 0, 1]).is_err());
    }
}
