//! In-process transport for tests: every party's router is reachable directly.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::router::{Frame, FrameSink, Router, RouterLimits};
use super::{PartyIndex, SessionChannel, SessionId, Transport};
use crate::error::MpcError;

struct Hub {
    routers: Vec<Arc<Router>>,
    online: Vec<AtomicBool>,
}

/// `n` parties connected in memory.
pub struct MemoryNetwork {
    hub: Arc<Hub>,
}

impl MemoryNetwork {
    pub fn new(n: u16) -> Self {
        Self::with_limits(n, RouterLimits::default())
    }

    pub fn with_limits(n: u16, limits: RouterLimits) -> Self {
        let hub = Hub {
            routers: (0..n)
                .map(|i| Arc::new(Router::new(i, limits.clone())))
                .collect(),
            online: (0..n).map(|_| AtomicBool::new(true)).collect(),
        };
        Self { hub: Arc::new(hub) }
    }

    /// The transport of party `me`.
    pub fn party(&self, me: PartyIndex) -> MemoryTransport {
        assert!((me as usize) < self.hub.routers.len(), "no party {me}");
        MemoryTransport {
            me,
            hub: self.hub.clone(),
        }
    }

    /// Takes a party off the network (its messages, both ways, are lost) or brings it back.
    pub fn set_online(&self, party: PartyIndex, online: bool) {
        self.hub.online[party as usize].store(online, Ordering::SeqCst);
    }
}

/// One party's end of a [`MemoryNetwork`].
#[derive(Clone)]
pub struct MemoryTransport {
    me: PartyIndex,
    hub: Arc<Hub>,
}

impl FrameSink for MemoryTransport {
    fn send_frame(&self, to: PartyIndex, frame: Frame) {
        let online = |p: PartyIndex| self.hub.online[p as usize].load(Ordering::SeqCst);
        if let Some(router) = self.hub.routers.get(to as usize) {
            if online(self.me) && online(to) {
                router.deliver(self.me, frame);
            }
        }
    }
}

#[async_trait::async_trait]
impl Transport for MemoryTransport {
    fn me(&self) -> PartyIndex {
        self.me
    }

    async fn open_session(
        &self,
        session: SessionId,
        participants: Vec<PartyIndex>,
    ) -> Result<SessionChannel, MpcError> {
        let n = self.hub.routers.len();
        if let Some(bad) = participants.iter().find(|p| **p as usize >= n) {
            return Err(MpcError::InvalidRequest(format!("no party {bad}")));
        }
        self.hub.routers[self.me as usize].open(session, participants, Arc::new(self.clone()))
    }

    /// Every party online, as seen by an online party (an offline one hears only itself).
    fn live(&self) -> Vec<PartyIndex> {
        let online = |p: usize| self.hub.online[p].load(Ordering::SeqCst);
        if !online(self.me as usize) {
            return vec![self.me];
        }
        (0..self.hub.online.len())
            .filter(|p| online(*p))
            .map(|p| p as PartyIndex)
            .collect()
    }
}

#[cfg(test)]
impl MemoryNetwork {
    /// Delivers a frame to `to` as if `from` had sent it, bypassing `from`'s session (lets tests
    /// play a party that sends different broadcasts to different parties).
    pub(crate) fn inject(
        &self,
        from: PartyIndex,
        to: PartyIndex,
        session: SessionId,
        broadcast: bool,
        payload: Vec<u8>,
    ) {
        self.hub.routers[to as usize].deliver(
            from,
            Frame {
                session,
                broadcast,
                payload,
            },
        );
    }
}
