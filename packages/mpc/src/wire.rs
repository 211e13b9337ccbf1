//! Envelopes and round collection for the protocols written in this crate (FROST and the signer
//! retry layer).
//!
//! Every payload is `[session id: 32][tag: 1][body]`. The session id inside the payload binds the
//! message to its run: a message replayed from another session is detected and blamed on the
//! party that sent it, even though the transport routed it by the frame's session.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::MpcError;
use crate::transport::{Message, PartyIndex, SessionChannel, SessionId};

const HEADER: usize = 33;

/// Builds the payload of a message of `session` with `tag`.
pub(crate) fn encode(session: &SessionId, tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + body.len());
    out.extend_from_slice(&session.0);
    out.push(tag);
    out.extend_from_slice(body);
    out
}

/// Splits a received message into `(tag, body)`, checking that it belongs to `session`.
pub(crate) fn decode(session: &SessionId, msg: &Message) -> Result<(u8, Vec<u8>), MpcError> {
    if msg.payload.len() < HEADER {
        return Err(MpcError::Malformed {
            party: msg.from,
            reason: format!(
                "message of {} bytes is shorter than its header",
                msg.payload.len()
            ),
        });
    }
    if msg.payload[..32] != session.0 {
        return Err(MpcError::Malformed {
            party: msg.from,
            reason: format!(
                "message of session {} arrived on session {session}",
                hex::encode(&msg.payload[..8])
            ),
        });
    }
    Ok((msg.payload[32], msg.payload[HEADER..].to_vec()))
}

/// Collects one message per party for a round, keeping messages of later rounds for later.
pub(crate) struct Inbox<'a> {
    channel: &'a mut SessionChannel,
    /// Messages that arrived ahead of their round: `(tag, from) -> (broadcast, body)`.
    early: BTreeMap<(u8, PartyIndex), (bool, Vec<u8>)>,
    /// Tags already collected; a message for one of them is a protocol violation.
    done: Vec<u8>,
    /// Every tag the protocol uses: a message with another one is refused, blaming its sender,
    /// rather than kept (a peer could otherwise fill memory with messages nobody reads).
    tags: &'static [u8],
}

impl<'a> Inbox<'a> {
    pub fn new(channel: &'a mut SessionChannel, tags: &'static [u8]) -> Self {
        Self {
            channel,
            early: BTreeMap::new(),
            done: Vec::new(),
            tags,
        }
    }

    /// Sends `body` with `tag` to `to` (`None`: every other participant).
    pub async fn send(&self, to: Option<PartyIndex>, tag: u8, body: &[u8]) -> Result<(), MpcError> {
        let payload = encode(&self.channel.session, tag, body);
        self.channel.send(to, payload).await
    }

    /// Waits for exactly one message with `tag` from each of `from`, sent as a broadcast or not
    /// as `broadcast` says, within `timeout`. Any message that is garbage, of another session,
    /// duplicated, or of a round already over fails the run naming its sender.
    pub async fn collect(
        &mut self,
        step: &str,
        tag: u8,
        broadcast: bool,
        from: &[PartyIndex],
        timeout: Duration,
    ) -> Result<BTreeMap<PartyIndex, Vec<u8>>, MpcError> {
        let mut got = BTreeMap::new();
        let early: Vec<_> = self
            .early
            .keys()
            .filter(|(t, p)| *t == tag && from.contains(p))
            .copied()
            .collect();
        for key in early {
            if let Some((was_broadcast, body)) = self.early.remove(&key) {
                check_kind(key.1, step, broadcast, was_broadcast)?;
                got.insert(key.1, body);
            }
        }
        let deadline = Instant::now() + timeout;
        while got.len() < from.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            let missing: Vec<PartyIndex> = from
                .iter()
                .copied()
                .filter(|p| !got.contains_key(p))
                .collect();
            let msg = self.channel.recv_timeout(step, left, &missing).await?;
            let (msg_tag, body) = decode(&self.channel.session, &msg)?;
            let malformed = |reason: String| MpcError::Malformed {
                party: msg.from,
                reason,
            };
            if !self.tags.contains(&msg_tag) {
                return Err(malformed(format!("message with unknown tag {msg_tag}")));
            }
            if self.done.contains(&msg_tag) {
                return Err(malformed(format!(
                    "message for round {msg_tag}, which is over"
                )));
            }
            if msg_tag == tag {
                if !from.contains(&msg.from) {
                    return Err(malformed(format!("not expected to send in {step}")));
                }
                check_kind(msg.from, step, broadcast, msg.broadcast)?;
                if got.insert(msg.from, body).is_some() {
                    return Err(malformed(format!("sent twice in {step}")));
                }
            } else if self
                .early
                .insert((msg_tag, msg.from), (msg.broadcast, body))
                .is_some()
            {
                return Err(malformed(format!("sent twice for round {msg_tag}")));
            }
        }
        self.done.push(tag);
        Ok(got)
    }
}

/// Broadcast rounds must arrive as broadcasts and point-to-point rounds as point-to-point, so a
/// party cannot pass off one recipient's secret message as everyone's or the reverse.
fn check_kind(
    from: PartyIndex,
    step: &str,
    expected: bool,
    was_broadcast: bool,
) -> Result<(), MpcError> {
    if expected == was_broadcast {
        return Ok(());
    }
    Err(MpcError::Malformed {
        party: from,
        reason: format!(
            "{step} expects a {} message",
            if expected {
                "broadcast"
            } else {
                "point-to-point"
            }
        ),
    })
}
