//! Inbound routing shared by every transport: delivers authenticated frames to the open session
//! they name, buffers (bounded) frames for sessions not opened yet, and pumps a session's
//! outgoing messages to a [`FrameSink`].

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::{normalise_participants, Message, Outgoing, PartyIndex, SessionChannel, SessionId};
use crate::error::MpcError;

/// Bounds on the buffers a transport keeps per party.
#[derive(Clone, Debug)]
pub struct RouterLimits {
    /// Capacity of one session's incoming and outgoing queues.
    pub session_queue: usize,
    /// Most sessions with buffered messages before they are opened; the oldest is evicted.
    pub max_pending_sessions: usize,
    /// Most buffered messages for one session not opened yet; later ones are dropped.
    pub max_pending_per_session: usize,
    /// Buffered messages (and closed sessions' tombstones) older than this are discarded.
    pub pending_ttl: Duration,
}

impl Default for RouterLimits {
    fn default() -> Self {
        Self {
            session_queue: 1024,
            max_pending_sessions: 256,
            max_pending_per_session: 256,
            pending_ttl: Duration::from_secs(120),
        }
    }
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

struct OpenSession {
    participants: Vec<PartyIndex>,
    tx: mpsc::Sender<Message>,
    /// When the session was seen closed (its channel dropped); kept a while so late frames are
    /// dropped instead of being buffered as if for a future session.
    closed_at: Option<Instant>,
}

struct Pending {
    since: Instant,
    messages: VecDeque<Message>,
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
    inner: Mutex<Inner>,
}

impl Router {
    pub fn new(me: PartyIndex, limits: RouterLimits) -> Self {
        Self {
            me,
            limits,
            inner: Mutex::new(Inner::default()),
        }
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
        let (in_tx, in_rx) = mpsc::channel(self.limits.session_queue);
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
            if let Some(pending) = inner.pending.remove(&session) {
                for msg in pending.messages {
                    if participants.contains(&msg.from) {
                        // Capacity ≥ buffered messages, so this cannot fail for lack of room.
                        let _ = in_tx.try_send(msg);
                    } else {
                        tracing::warn!(%session, from = msg.from, "dropping buffered message from a non-participant");
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
            incoming: in_rx,
            outgoing: out_tx,
        })
    }

    /// Delivers a frame whose sender `from` the transport has authenticated.
    pub fn deliver(&self, from: PartyIndex, frame: Frame) {
        let session = frame.session;
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
                return;
            }
            match open.tx.try_send(msg) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::warn!(%session, from, "session queue full, dropping message")
                }
                Err(mpsc::error::TrySendError::Closed(_)) => open.closed_at = Some(Instant::now()),
            }
            return;
        }
        let limits = &self.limits;
        if !inner.pending.contains_key(&session)
            && inner.pending.len() >= limits.max_pending_sessions
        {
            // Evict the oldest buffered session so a flood of session ids cannot grow memory.
            if let Some(oldest) = inner
                .pending
                .iter()
                .min_by_key(|(_, p)| p.since)
                .map(|(id, _)| *id)
            {
                tracing::warn!(session = %oldest, "evicting buffered messages of an unopened session");
                inner.pending.remove(&oldest);
            }
        }
        let pending = inner.pending.entry(session).or_insert_with(|| Pending {
            since: Instant::now(),
            messages: VecDeque::new(),
        });
        if pending.messages.len() >= limits.max_pending_per_session {
            tracing::warn!(%session, from, "buffer of unopened session full, dropping message");
            return;
        }
        pending.messages.push_back(msg);
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
        inner
            .pending
            .retain(|_, p| now.duration_since(p.since) < ttl);
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
