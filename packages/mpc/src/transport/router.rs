//! Inbound routing shared by every transport: delivers authenticated frames to the open session
//! they name, buffers (bounded) frames for sessions not opened yet, and pumps a session's
//! outgoing messages to a [`FrameSink`].
//!
//! Memory is bounded per sending peer, in bytes: every message buffered for a session (opened or
//! not) is charged to its sender until the session's owner takes it ([`SessionReceiver::recv`]) or
//! it is dropped. A peer over its budget, or over its number of unopened sessions, has its further
//! messages refused and counted against it; nothing of another peer is evicted to make room, so a
//! flooding peer cannot push out honest messages and get an honest party blamed for a timeout.
//!
//! The buffer of a session not opened yet is split by sender: each peer may buffer at most
//! [`RouterLimits::max_pending_per_sender`] messages in it. Session ids come from public chain
//! data, so any peer (one not among the session's participants too) can fill a session before
//! the honest parties open it; it fills only its own share, and the participants' messages are
//! still taken (a non-participant's are dropped when the session opens).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::{normalise_participants, Message, Outgoing, PartyIndex, SessionChannel, SessionId};
use crate::error::MpcError;

/// Bytes charged per message on top of its payload (the bookkeeping around it), so that a flood
/// of empty messages is bounded too.
pub const MESSAGE_OVERHEAD: usize = 128;

/// Bounds on the buffers a transport keeps per party.
#[derive(Clone, Debug)]
pub struct RouterLimits {
    /// Capacity (messages) of one session's incoming and outgoing queues.
    pub session_queue: usize,
    /// Most sessions not opened yet in which one peer has buffered messages; its messages for
    /// further unopened sessions are refused.
    pub max_pending_sessions_per_peer: usize,
    /// Most messages one peer may have buffered for one session not opened yet; its later ones
    /// are refused, while the other peers' messages for that session are still taken (each sender
    /// has a share of its own). An honest party sends a session's participant at most a round or
    /// two of messages before that participant has opened the session and answered.
    pub max_pending_per_sender: usize,
    /// Bytes (payloads plus [`MESSAGE_OVERHEAD`] each) one peer may have buffered across every
    /// session, opened or not, before its messages are refused.
    pub peer_byte_budget: usize,
    /// Buffered messages (and closed sessions' tombstones) older than this are discarded.
    pub pending_ttl: Duration,
}

impl Default for RouterLimits {
    fn default() -> Self {
        Self {
            session_queue: 1024,
            max_pending_sessions_per_peer: 64,
            max_pending_per_sender: 64,
            // Several times the largest legitimate burst (a cggmp21 aux-info round, see
            // tcp::MAX_FRAME_LEN) for a few concurrent sessions.
            peer_byte_budget: 16 * 1024 * 1024,
            pending_ttl: Duration::from_secs(120),
        }
    }
}

/// What one peer has buffered at this party, and what was refused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeerUsage {
    /// Bytes charged now.
    pub bytes: usize,
    /// Most bytes ever charged at once.
    pub peak_bytes: usize,
    /// Largest payload accepted from this peer (to check the frame limits against real traffic).
    pub largest_payload: usize,
    /// Unopened sessions holding messages of this peer now.
    pub pending_sessions: usize,
    /// Messages refused: over the byte budget, over the unopened-session limit, over its share of
    /// an unopened session's buffer, or a full queue.
    pub refused: u64,
    /// When the last message of this peer was accepted (operators watch a silent peer).
    pub last_message_at: Option<std::time::SystemTime>,
}

/// What travels between parties: one message of one session. The sender is not in the frame: the
/// transport knows it from the authenticated connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Frame {
    pub session: SessionId,
    pub broadcast: bool,
    pub payload: Vec<u8>,
}

/// Where a session's outgoing frames go.
pub(crate) trait FrameSink: Send + Sync + 'static {
    fn send_frame(&self, to: PartyIndex, frame: Frame);
}

/// Per-peer byte accounting, shared by the router and every session's receiver.
#[derive(Default)]
struct Budget {
    limit: usize,
    usage: Mutex<HashMap<PartyIndex, PeerUsage>>,
}

impl Budget {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PartyIndex, PeerUsage>> {
        // Plain counters: a panic elsewhere cannot leave them inconsistent.
        self.usage.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Charges `bytes` to `peer`, or refuses (and counts the refusal) over the budget.
    fn charge(self: &Arc<Self>, peer: PartyIndex, bytes: usize) -> Option<Charge> {
        let mut usage = self.lock();
        let entry = usage.entry(peer).or_default();
        if entry.bytes + bytes > self.limit {
            entry.refused += 1;
            return None;
        }
        entry.bytes += bytes;
        entry.peak_bytes = entry.peak_bytes.max(entry.bytes);
        entry.largest_payload = entry.largest_payload.max(bytes - MESSAGE_OVERHEAD);
        entry.last_message_at = Some(std::time::SystemTime::now());
        Some(Charge {
            budget: self.clone(),
            peer,
            bytes,
        })
    }

    fn count_refused(&self, peer: PartyIndex) {
        self.lock().entry(peer).or_default().refused += 1;
    }

    fn add_pending_session(&self, peer: PartyIndex, delta: isize) {
        let mut usage = self.lock();
        let entry = usage.entry(peer).or_default();
        entry.pending_sessions = entry.pending_sessions.saturating_add_signed(delta);
    }

    fn pending_sessions(&self, peer: PartyIndex) -> usize {
        self.lock().get(&peer).map_or(0, |u| u.pending_sessions)
    }
}

/// Bytes charged to a peer for one buffered message; released when dropped.
struct Charge {
    budget: Arc<Budget>,
    peer: PartyIndex,
    bytes: usize,
}

impl Drop for Charge {
    fn drop(&mut self) {
        if let Some(usage) = self.budget.lock().get_mut(&self.peer) {
            usage.bytes -= self.bytes;
        }
    }
}

/// A message waiting in a queue, with the bytes it holds against its sender.
struct Charged {
    msg: Message,
    _charge: Charge,
}

/// The receiving end of a session: releases each message's bytes from its sender's budget as the
/// session takes it.
pub struct SessionReceiver {
    rx: mpsc::Receiver<Charged>,
}

impl std::fmt::Debug for SessionReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionReceiver")
            .field("queued", &self.rx.len())
            .finish()
    }
}

impl SessionReceiver {
    /// The next message; `None` once the transport dropped the session.
    pub async fn recv(&mut self) -> Option<Message> {
        self.rx.recv().await.map(|charged| charged.msg)
    }
}

struct OpenSession {
    participants: Vec<PartyIndex>,
    tx: mpsc::Sender<Charged>,
    /// When the session was seen closed (its channel dropped); kept a while so late frames are
    /// dropped instead of being buffered as if for a future session.
    closed_at: Option<Instant>,
}

struct Pending {
    since: Instant,
    messages: VecDeque<Charged>,
    /// How many of `messages` each peer sent: each sender is charged one of its unopened
    /// sessions, and holds at most `max_pending_per_sender` messages here.
    senders: HashMap<PartyIndex, usize>,
}

#[derive(Default)]
struct Inner {
    open: HashMap<SessionId, OpenSession>,
    pending: HashMap<SessionId, Pending>,
    last_sweep: Option<Instant>,
}

/// One party's inbound side.
pub(crate) struct Router {
    me: PartyIndex,
    limits: RouterLimits,
    budget: Arc<Budget>,
    inner: Mutex<Inner>,
}

impl Router {
    pub fn new(me: PartyIndex, limits: RouterLimits) -> Self {
        Self {
            me,
            budget: Arc::new(Budget {
                limit: limits.peer_byte_budget,
                usage: Mutex::default(),
            }),
            limits,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Each peer's buffered bytes and refusals.
    pub fn usage(&self) -> BTreeMap<PartyIndex, PeerUsage> {
        self.budget
            .lock()
            .iter()
            .map(|(p, u)| (*p, u.clone()))
            .collect()
    }

    /// Counts a message of `peer` refused before it reached the router (e.g. a frame that does
    /// not parse), so every refusal shows in [`Router::usage`].
    pub fn count_refused(&self, peer: PartyIndex) {
        self.budget.count_refused(peer);
    }

    /// Opens `session`, hands it the messages buffered for it and starts pumping its outgoing
    /// messages into `sink`.
    pub fn open(
        &self,
        session: SessionId,
        participants: Vec<PartyIndex>,
        sink: Arc<dyn FrameSink>,
    ) -> Result<SessionChannel, MpcError> {
        let participants = normalise_participants(self.me, participants)?;
        // Room for everything the other participants may have buffered, so handing it over
        // cannot fail for lack of room.
        let queue = self.limits.session_queue.max(
            self.limits
                .max_pending_per_sender
                .saturating_mul(participants.len() - 1),
        );
        let (in_tx, in_rx) = mpsc::channel(queue);
        {
            let mut inner = self.lock();
            self.sweep(&mut inner);
            if let Some(existing) = inner.open.get(&session) {
                if existing.closed_at.is_none() && !existing.tx.is_closed() {
                    return Err(MpcError::InvalidRequest(format!(
                        "session {session} is already open"
                    )));
                }
            }
            if let Some(pending) = self.take_pending(&mut inner, &session) {
                for charged in pending.messages {
                    if participants.contains(&charged.msg.from) {
                        // Capacity ≥ buffered messages, so this cannot fail for lack of room.
                        let _ = in_tx.try_send(charged);
                    } else {
                        tracing::warn!(%session, from = charged.msg.from, "dropping buffered message from a non-participant");
                    }
                }
            }
            inner.open.insert(
                session,
                OpenSession {
                    participants: participants.clone(),
                    tx: in_tx,
                    closed_at: None,
                },
            );
        }
        let (out_tx, out_rx) = mpsc::channel(self.limits.session_queue);
        tokio::spawn(pump_outgoing(
            self.me,
            session,
            participants.clone(),
            out_rx,
            sink,
        ));
        Ok(SessionChannel {
            me: self.me,
            session,
            participants,
            incoming: SessionReceiver { rx: in_rx },
            outgoing: out_tx,
        })
    }

    /// Delivers a frame whose sender `from` the transport has authenticated.
    pub fn deliver(&self, from: PartyIndex, frame: Frame) {
        let session = frame.session;
        let cost = frame.payload.len() + MESSAGE_OVERHEAD;
        let msg = Message {
            from,
            broadcast: frame.broadcast,
            payload: frame.payload,
        };
        let mut inner = self.lock();
        self.sweep(&mut inner);
        if let Some(open) = inner.open.get_mut(&session) {
            if open.closed_at.is_some() {
                return;
            }
            if !open.participants.contains(&from) {
                tracing::warn!(%session, from, "dropping message from a non-participant");
                self.budget.count_refused(from);
                return;
            }
            let Some(charge) = self.budget.charge(from, cost) else {
                tracing::warn!(%session, from, "peer over its byte budget, refusing message");
                return;
            };
            let charged = Charged {
                msg,
                _charge: charge,
            };
            match open.tx.try_send(charged) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::warn!(%session, from, "session queue full, refusing message");
                    self.budget.count_refused(from);
                }
                Err(mpsc::error::TrySendError::Closed(_)) => open.closed_at = Some(Instant::now()),
            }
            return;
        }
        let limits = &self.limits;
        let buffered = inner
            .pending
            .get(&session)
            .and_then(|p| p.senders.get(&from).copied())
            .unwrap_or(0);
        if buffered == 0
            && self.budget.pending_sessions(from) >= limits.max_pending_sessions_per_peer
        {
            tracing::warn!(%session, from, "peer has too many unopened sessions, refusing message");
            self.budget.count_refused(from);
            return;
        }
        if buffered >= limits.max_pending_per_sender {
            tracing::warn!(%session, from, "peer's share of an unopened session's buffer is full, refusing message");
            self.budget.count_refused(from);
            return;
        }
        let Some(charge) = self.budget.charge(from, cost) else {
            tracing::warn!(%session, from, "peer over its byte budget, refusing message");
            return;
        };
        let pending = inner.pending.entry(session).or_insert_with(|| Pending {
            since: Instant::now(),
            messages: VecDeque::new(),
            senders: HashMap::new(),
        });
        let count = pending.senders.entry(from).or_default();
        if *count == 0 {
            self.budget.add_pending_session(from, 1);
        }
        *count += 1;
        pending.messages.push_back(Charged {
            msg,
            _charge: charge,
        });
    }

    /// Removes a pending session, releasing its senders' unopened-session counts (its messages
    /// release their bytes when dropped).
    fn take_pending(&self, inner: &mut Inner, session: &SessionId) -> Option<Pending> {
        let pending = inner.pending.remove(session)?;
        for sender in pending.senders.keys() {
            self.budget.add_pending_session(*sender, -1);
        }
        Some(pending)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the maps inconsistent; keep going.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Drops expired buffers and closed sessions' tombstones, at most once a second.
    fn sweep(&self, inner: &mut Inner) {
        let now = Instant::now();
        if inner
            .last_sweep
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(1))
        {
            return;
        }
        inner.last_sweep = Some(now);
        let ttl = self.limits.pending_ttl;
        let expired: Vec<SessionId> = inner
            .pending
            .iter()
            .filter(|(_, p)| now.duration_since(p.since) >= ttl)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            self.take_pending(inner, &id);
        }
        inner.open.retain(|_, s| {
            if s.closed_at.is_none() && s.tx.is_closed() {
                s.closed_at = Some(now);
            }
            s.closed_at.is_none_or(|t| now.duration_since(t) < ttl)
        });
    }
}

/// Sends a session's outgoing messages until every sender of the channel is dropped.
async fn pump_outgoing(
    me: PartyIndex,
    session: SessionId,
    participants: Vec<PartyIndex>,
    mut out_rx: mpsc::Receiver<Outgoing>,
    sink: Arc<dyn FrameSink>,
) {
    while let Some(out) = out_rx.recv().await {
        match out.to {
            Some(to) if to == me || !participants.contains(&to) => {
                tracing::warn!(%session, to, "dropping message to a non-participant");
            }
            Some(to) => sink.send_frame(
                to,
                Frame {
                    session,
                    broadcast: false,
                    payload: out.payload,
                },
            ),
            None => {
                for &to in participants.iter().filter(|p| **p != me) {
                    sink.send_frame(
                        to,
                        Frame {
                            session,
                            broadcast: true,
                            payload: out.payload.clone(),
                        },
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoSink;
    impl FrameSink for NoSink {
        fn send_frame(&self, _: PartyIndex, _: Frame) {}
    }

    fn frame(session: SessionId, len: usize) -> Frame {
        Frame {
            session,
            broadcast: false,
            payload: vec![0; len],
        }
    }

    #[tokio::test]
    async fn bytes_are_charged_until_the_session_takes_them() {
        let router = Router::new(
            0,
            RouterLimits {
                peer_byte_budget: 3 * (1000 + MESSAGE_OVERHEAD),
                ..RouterLimits::default()
            },
        );
        let session = SessionId::new("c", "sign", 1, 0);
        let before = std::time::SystemTime::now();
        for _ in 0..4 {
            router.deliver(1, frame(session, 1000));
        }
        let usage = &router.usage()[&1];
        assert!(usage.last_message_at.is_some_and(|at| at >= before));
        assert!(!router.usage().contains_key(&2), "nothing from party 2 yet");
        assert_eq!(usage.bytes, 3 * (1000 + MESSAGE_OVERHEAD));
        assert_eq!((usage.refused, usage.pending_sessions), (1, 1));
        let mut channel = router.open(session, vec![0, 1], Arc::new(NoSink)).unwrap();
        assert_eq!(router.usage()[&1].pending_sessions, 0);
        channel.incoming.recv().await.unwrap();
        assert_eq!(router.usage()[&1].bytes, 2 * (1000 + MESSAGE_OVERHEAD));
        // Dropping the session releases what it did not take.
        drop(channel);
        assert_eq!(router.usage()[&1].bytes, 0);
        assert_eq!(router.usage()[&1].peak_bytes, 3 * (1000 + MESSAGE_OVERHEAD));
    }

    #[tokio::test]
    async fn each_sender_has_its_own_share_of_an_unopened_sessions_buffer() {
        const SHARE: usize = 4;
        let router = Router::new(
            0,
            RouterLimits {
                max_pending_per_sender: SHARE,
                ..RouterLimits::default()
            },
        );
        let session = SessionId::new("c", "sign", 2, 0);
        // Party 3 fills its share (and tries for more) before the others send anything.
        for _ in 0..3 * SHARE {
            router.deliver(3, frame(session, 3));
        }
        for (from, len) in [(1, 1), (2, 2), (1, 1), (2, 2)] {
            router.deliver(from, frame(session, len));
        }
        let usage = router.usage();
        assert_eq!(usage[&3].refused, 2 * SHARE as u64);
        assert_eq!((usage[&1].refused, usage[&2].refused), (0, 0));
        // Every participant's messages are there when the session opens.
        let mut channel = router
            .open(session, vec![0, 1, 2, 3], Arc::new(NoSink))
            .unwrap();
        let mut got = BTreeMap::<PartyIndex, usize>::new();
        while let Ok(Some(msg)) =
            tokio::time::timeout(Duration::from_millis(50), channel.incoming.recv()).await
        {
            assert_eq!(msg.payload.len(), msg.from as usize);
            *got.entry(msg.from).or_default() += 1;
        }
        assert_eq!(got, BTreeMap::from([(1, 2), (2, 2), (3, SHARE)]));
    }
}
