//! Runs `round-based` protocols (cggmp21) over a [`SessionChannel`].
//!
//! A session carries one or more *lanes*: independent protocol instances that share the channel
//! (signing several hashes runs one full signing per hash, concurrently). Every payload is an
//! [`Envelope`] naming the session and the lane, so a message replayed from another session, sent
//! to a lane that does not exist, or that does not decode is refused with
//! [`MpcError::Malformed`] naming the party that sent it, and every lane of the session stops.
//!
//! Party indices: the transport speaks keyring indices ([`PartyIndex`]); the protocol speaks the
//! position of a party in the session's sorted participant list. [`SessionContext`] maps both ways.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cggmp21::round_based::{
    Incoming, MessageDestination, MessageType, MpcParty, Outgoing as ProtocolOutgoing,
};
use futures::{Sink, Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::error::MpcError;
use crate::transport::{Message, Outgoing, PartyIndex, SessionChannel, SessionId, SessionReceiver};

/// Most protocol instances of one session computing at once. Lanes start in lane order on every
/// party, so the lowest unfinished lane is always running everywhere and a cap cannot deadlock.
pub(crate) const MAX_CONCURRENT_LANES: usize = 4;

/// Most messages one protocol instance may have queued from each other participant before it
/// takes them: more than the rounds of any cggmp21 protocol used here (at most 5, one message of
/// each kind per round), so only a flooding peer reaches it. Keeps lanes that have not started
/// yet (a batch waits for [`MAX_CONCURRENT_LANES`]) from buffering without bound.
const LANE_QUEUE_PER_PEER: usize = 16;

/// The cggmp21 protocols run here. Their messages differ in size by an order of magnitude, so each
/// has its own bound on one message (below the transport's frame limit, which must fit the
/// largest): a bigger one fails the run naming its sender.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Protocol {
    AuxInfo,
    Keygen,
    Signing,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Protocol::AuxInfo => "ecdsa aux info",
            Protocol::Keygen => "ecdsa keygen",
            Protocol::Signing => "ecdsa signing",
        }
    }

    /// Measured largest messages (BENCHMARKS.md, independent of the number of parties up to the
    /// threshold's commitments): aux info about 213 KiB (Paillier-Blum and ring-Pedersen
    /// proofs), keygen and signing at most 32 KiB. About five to eight times that.
    fn max_message(self) -> usize {
        match self {
            Protocol::AuxInfo => 1024 * 1024,
            Protocol::Keygen | Protocol::Signing => 256 * 1024,
        }
    }
}

/// What travels in a [`Message`] payload.
#[derive(Serialize, Deserialize)]
struct Envelope<M> {
    session: [u8; 32],
    lane: u32,
    msg: M,
}

/// Why a lane's stream or sink stopped; the details are in [`SessionContext::fault`].
#[derive(Debug, thiserror::Error)]
pub(crate) enum LaneError {
    #[error("the session was aborted")]
    Aborted,
    #[error("could not encode or address an outgoing message")]
    Outgoing,
    #[error("the session channel is closed")]
    Closed,
}

type LaneItem<M> = Result<Incoming<M>, LaneError>;
type LaneStream<M> = Pin<Box<dyn Stream<Item = LaneItem<M>> + Send>>;
type LaneSink<M> = Pin<Box<dyn Sink<ProtocolOutgoing<M>, Error = LaneError> + Send>>;
/// The `round_based` party handed to a cggmp21 protocol.
pub(crate) type LaneParty<M> = MpcParty<M, (LaneStream<M>, LaneSink<M>)>;

/// What all lanes of one session share.
pub(crate) struct SessionContext {
    me: PartyIndex,
    protocol: Protocol,
    session: SessionId,
    /// Sorted keyring indices; the protocol index of a party is its position here.
    participants: Vec<PartyIndex>,
    /// The first thing that went wrong outside the protocol itself (bad message, closed channel).
    fault: Mutex<Option<MpcError>>,
    /// Messages received from each participant (by protocol index), to say who we wait for.
    received: Mutex<Vec<u64>>,
}

impl SessionContext {
    fn new(channel: &SessionChannel, protocol: Protocol) -> Result<Self, MpcError> {
        let mut participants = channel.participants.clone();
        participants.sort_unstable();
        participants.dedup();
        if participants.len() != channel.participants.len() || participants.len() < 2 {
            return Err(MpcError::InvalidRequest(format!(
                "participants {:?} must be at least two distinct parties",
                channel.participants
            )));
        }
        if !participants.contains(&channel.me) {
            return Err(MpcError::InvalidRequest(format!(
                "participants {participants:?} do not include me ({})",
                channel.me
            )));
        }
        Ok(Self {
            me: channel.me,
            protocol,
            session: channel.session,
            received: Mutex::new(vec![0; participants.len()]),
            participants,
            fault: Mutex::new(None),
        })
    }

    /// My index in the protocol.
    pub(crate) fn my_index(&self) -> u16 {
        self.protocol_index(self.me).expect("checked in new")
    }

    fn protocol_index(&self, party: PartyIndex) -> Option<u16> {
        self.participants
            .binary_search(&party)
            .ok()
            .map(|i| i as u16)
    }

    fn record_fault(&self, err: MpcError) {
        let mut fault = self.fault.lock().expect("fault lock");
        fault.get_or_insert(err);
    }

    fn take_fault(&self) -> Option<MpcError> {
        self.fault.lock().expect("fault lock").take()
    }

    /// The other participants that sent fewer messages than the most talkative one: in a
    /// round-based protocol everyone sends the same number per round, so these are behind. When
    /// nobody is behind, we wait for everyone's next round.
    fn waiting_for(&self) -> Vec<PartyIndex> {
        let received = self.received.lock().expect("received lock");
        let me = self.my_index() as usize;
        let most = received
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != me)
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(0);
        let behind: Vec<PartyIndex> = received
            .iter()
            .enumerate()
            .filter(|(i, n)| *i != me && **n < most)
            .map(|(i, _)| self.participants[i])
            .collect();
        if behind.is_empty() {
            self.participants
                .iter()
                .copied()
                .filter(|p| *p != self.me)
                .collect()
        } else {
            behind
        }
    }

    /// Checks and decodes one received message.
    fn decode<M: DeserializeOwned>(
        &self,
        msg: &Message,
        lanes: usize,
        id: u64,
    ) -> Result<(usize, Incoming<M>), MpcError> {
        let malformed = |reason: String| MpcError::Malformed {
            party: msg.from,
            reason,
        };
        let sender = match self.protocol_index(msg.from) {
            Some(i) if msg.from != self.me => i,
            _ => return Err(malformed("sender is not another participant".into())),
        };
        if msg.payload.len() > self.protocol.max_message() {
            return Err(malformed(format!(
                "a {} message of {} bytes, more than its {} allowed",
                self.protocol.name(),
                msg.payload.len(),
                self.protocol.max_message()
            )));
        }
        let envelope: Envelope<M> = serde_json::from_slice(&msg.payload)
            .map_err(|e| malformed(format!("undecodable protocol message: {e}")))?;
        if envelope.session != self.session.0 {
            return Err(malformed(format!(
                "message of another session ({}), expected {}",
                SessionId(envelope.session),
                self.session
            )));
        }
        let lane = envelope.lane as usize;
        if lane >= lanes {
            return Err(malformed(format!(
                "message for protocol instance {lane}, session has {lanes}"
            )));
        }
        self.received.lock().expect("received lock")[sender as usize] += 1;
        let msg_type = if msg.broadcast {
            MessageType::Broadcast
        } else {
            MessageType::P2P
        };
        Ok((
            lane,
            Incoming {
                id,
                sender,
                msg_type,
                msg: envelope.msg,
            },
        ))
    }

    fn encode<M: Serialize>(
        &self,
        lane: u32,
        out: ProtocolOutgoing<M>,
    ) -> Result<Outgoing, MpcError> {
        let to = match out.recipient {
            MessageDestination::AllParties => None,
            MessageDestination::OneParty(i) => Some(
                *self
                    .participants
                    .get(usize::from(i))
                    .ok_or_else(|| MpcError::Protocol {
                        party: None,
                        reason: format!("protocol addressed unknown party index {i}"),
                    })?,
            ),
        };
        let payload = serde_json::to_vec(&Envelope {
            session: self.session.0,
            lane,
            msg: out.msg,
        })
        .map_err(|e| MpcError::Protocol {
            party: None,
            reason: format!("could not encode a protocol message: {e}"),
        })?;
        Ok(Outgoing { to, payload })
    }
}

/// Reads the channel and hands each message to its lane; stops every lane at the first bad one.
async fn route<M: DeserializeOwned>(
    mut incoming: SessionReceiver,
    ctx: Arc<SessionContext>,
    lanes: Arc<Vec<mpsc::Sender<LaneItem<M>>>>,
) {
    let mut next_id = 0u64;
    while let Some(msg) = incoming.recv().await {
        if lanes.iter().all(|lane| lane.is_closed()) {
            return;
        }
        match ctx.decode::<M>(&msg, lanes.len(), next_id) {
            Ok((lane, item)) => {
                next_id += 1;
                let lane = &lanes[lane];
                // One slot stays free for the abort signal (see abort_lanes).
                if lane.capacity() <= 1 && !lane.is_closed() {
                    let err = MpcError::Malformed {
                        party: msg.from,
                        reason: "more messages for one protocol instance than its rounds allow"
                            .into(),
                    };
                    tracing::warn!(session = %ctx.session, %err, "refusing session message");
                    ctx.record_fault(err);
                    abort_lanes(&lanes);
                    return;
                }
                // A lane that already finished has dropped its receiver: nothing to do.
                let _ = lane.try_send(Ok(item));
            }
            Err(err) => {
                tracing::warn!(session = %ctx.session, %err, "refusing session message");
                ctx.record_fault(err);
                abort_lanes(&lanes);
                return;
            }
        }
    }
    if lanes.iter().any(|lane| !lane.is_closed()) {
        ctx.record_fault(MpcError::Transport(format!(
            "session {} closed during the protocol",
            ctx.session
        )));
        abort_lanes(&lanes);
    }
}

/// Tells every lane to stop. `route` leaves one slot free in each lane's queue for this; a
/// second abort finding it taken is harmless (the first one is queued).
fn abort_lanes<M>(lanes: &[mpsc::Sender<LaneItem<M>>]) {
    for lane in lanes {
        let _ = lane.try_send(Err(LaneError::Aborted));
    }
}

fn lane_party<M>(
    ctx: Arc<SessionContext>,
    lane: u32,
    mut receiver: mpsc::Receiver<LaneItem<M>>,
    outgoing: mpsc::Sender<Outgoing>,
) -> LaneParty<M>
where
    M: Serialize + Send + 'static,
{
    let stream: LaneStream<M> =
        Box::pin(futures::stream::poll_fn(move |cx| receiver.poll_recv(cx)));
    let sink: LaneSink<M> = Box::pin(futures::sink::unfold(
        outgoing,
        move |outgoing, out: ProtocolOutgoing<M>| {
            let ctx = ctx.clone();
            async move {
                let message = ctx.encode(lane, out).map_err(|err| {
                    ctx.record_fault(err);
                    LaneError::Outgoing
                })?;
                outgoing
                    .send(message)
                    .await
                    .map_err(|_| LaneError::Closed)?;
                Ok(outgoing)
            }
        },
    ));
    MpcParty::connected((stream, sink))
}

/// Runs `lanes` instances of a protocol over `channel`, all bounded by one `timeout`.
///
/// `instance(lane, my_index, party)` builds the future of one instance of `protocol`. Each instance runs on a
/// blocking thread (the cryptography is seconds of CPU between awaits, which would stall the async
/// workers), driving its I/O through the current runtime.
pub(crate) async fn run_protocol<M, T, E, F, Fut>(
    channel: SessionChannel,
    protocol: Protocol,
    lanes: usize,
    timeout: Duration,
    instance: F,
) -> Result<Vec<T>, MpcError>
where
    M: Serialize + DeserializeOwned + Send + 'static,
    T: Send + 'static,
    E: std::error::Error,
    F: Fn(usize, u16, LaneParty<M>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<T, E>>,
{
    let step = protocol.name();
    let ctx = Arc::new(SessionContext::new(&channel, protocol)?);
    let SessionChannel {
        incoming, outgoing, ..
    } = channel;
    let deadline = tokio::time::Instant::now() + timeout;
    let lane_queue = LANE_QUEUE_PER_PEER * (ctx.participants.len() - 1) + 1;
    let (senders, receivers): (Vec<_>, Vec<_>) =
        (0..lanes).map(|_| mpsc::channel(lane_queue)).unzip();
    let senders = Arc::new(senders);
    let router = tokio::spawn(route::<M>(incoming, ctx.clone(), senders.clone()));
    let handle = tokio::runtime::Handle::current();
    let my_index = ctx.my_index();

    let runs = receivers.into_iter().enumerate().map(|(lane, receiver)| {
        let party = lane_party(ctx.clone(), lane as u32, receiver, outgoing.clone());
        let instance = instance.clone();
        let handle = handle.clone();
        let senders = senders.clone();
        let fail_ctx = ctx.clone();
        let ctx_after = ctx.clone();
        async move {
            let outcome = tokio::task::spawn_blocking(move || {
                let outcome = handle.block_on(tokio::time::timeout_at(
                    deadline,
                    instance(lane, my_index, party),
                ));
                match outcome {
                    Ok(Ok(out)) => Ok(out),
                    Ok(Err(err)) => {
                        // One failed instance fails the session: keep the first cause, stop the
                        // other instances now.
                        let reason = format!("{step}: {}", error_chain(&err));
                        let parties = blamed_parties(&format!("{err:?}"), &fail_ctx.participants);
                        fail_ctx.record_fault(if parties.is_empty() {
                            MpcError::Protocol {
                                party: None,
                                reason,
                            }
                        } else {
                            MpcError::Misbehaved { parties, reason }
                        });
                        abort_lanes(&senders);
                        Err(())
                    }
                    Err(_) => Err(()),
                }
            })
            .await
            .unwrap_or_else(|e| {
                ctx_after.record_fault(MpcError::Protocol {
                    party: None,
                    reason: format!("{step}: protocol task died: {e}"),
                });
                Err(())
            });
            (lane, outcome)
        }
    });
    let mut results: Vec<(usize, Result<T, ()>)> = futures::stream::iter(runs)
        .buffer_unordered(MAX_CONCURRENT_LANES)
        .collect()
        .await;
    router.abort();
    results.sort_by_key(|(lane, _)| *lane);

    let mut outputs = Vec::with_capacity(lanes);
    for (_, result) in results {
        match result {
            Ok(out) => outputs.push(out),
            // The first fault (bad message, closed channel, failed instance) explains the failure
            // best; with none recorded, the instance ran out of time.
            Err(()) => {
                return Err(ctx.take_fault().unwrap_or_else(|| MpcError::Timeout {
                    step: step.to_string(),
                    after_ms: timeout.as_millis() as u64,
                    waiting_for: ctx.waiting_for(),
                }))
            }
        }
    }
    Ok(outputs)
}

/// Where cggmp21 0.6 names culprits in its errors. Its abort reasons are private types, so the
/// only place the blame shows is their `Debug` form: `AbortBlame { faulty_party: i, .. }` (aux
/// info, key refresh, keygen), `parties: [i, ..]` (keygen), and lists of tuples whose first
/// element is the culprit (signing: invalid proofs). The library version is pinned in Cargo.lock;
/// an unknown form names nobody rather than somebody wrong.
const BLAME_SINGLE: &str = "faulty_party: ";
const BLAME_LIST: &str = "parties: [";
const BLAME_TUPLES: &[&str] = &["EncProofOfK([", "InvalidPsi([", "InvalidPsiPrimePrime(["];

/// The keyring indices of the parties a cggmp21 error (its `Debug` text) blames; protocol index
/// `i` is `participants[i]`.
fn blamed_parties(debug: &str, participants: &[PartyIndex]) -> Vec<PartyIndex> {
    let mut indices = Vec::new();
    for (at, _) in debug.match_indices(BLAME_SINGLE) {
        indices.extend(leading_number(&debug[at + BLAME_SINGLE.len()..]));
    }
    for (at, _) in debug.match_indices(BLAME_LIST) {
        let list = &debug[at + BLAME_LIST.len()..];
        let list = &list[..list.find(']').unwrap_or(0)];
        indices.extend(list.split(',').filter_map(|n| n.trim().parse::<u16>().ok()));
    }
    for marker in BLAME_TUPLES {
        for (at, _) in debug.match_indices(marker) {
            let mut rest = &debug[at + marker.len()..];
            // Each tuple starts with "(culprit,"; the list ends at the first "])".
            let end = rest.find("])").unwrap_or(0);
            rest = &rest[..end];
            for tuple in rest.split('(').skip(1) {
                indices.extend(leading_number(tuple));
            }
        }
    }
    let mut parties: Vec<PartyIndex> = indices
        .into_iter()
        .filter_map(|i| participants.get(usize::from(i)).copied())
        .collect();
    parties.sort_unstable();
    parties.dedup();
    parties
}

fn leading_number(text: &str) -> Option<u16> {
    let digits = text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    text[..digits].parse().ok()
}

/// An error and its sources on one line: cggmp21's top-level errors say little by themselves.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::blamed_parties;

    #[test]
    fn culprits_are_read_from_cggmp21_errors_and_mapped_to_keyring_indices() {
        // Protocol indices 0, 1, 2 are keyring parties 3, 5, 9.
        let participants = [3, 5, 9];
        let aux = "KeyRefreshError(Aborted(ProtocolAborted { reason: InvalidModProof, parties: \
                   [AbortBlame { faulty_party: 2, data_message: 4, proof_message: 4 }] }))";
        assert_eq!(blamed_parties(aux, &participants), vec![9]);
        let keygen = "KeygenError(Aborted(FeldmanVerificationFailed { parties: [1, 0] }))";
        assert_eq!(blamed_parties(keygen, &participants), vec![3, 5]);
        let signing = "SigningError(Aborted(EncProofOfK([(1, 3, 3), (2, 4, 4)])))";
        assert_eq!(blamed_parties(signing, &participants), vec![5, 9]);
        // Nothing recognisable, or an index outside the session: nobody.
        assert!(blamed_parties("SigningError(IoError(..))", &participants).is_empty());
        assert!(blamed_parties("faulty_party: 7", &participants).is_empty());
    }
}
