//! Turns to run MPC, given out in one order at every party: the lowest request first.
//!
//! A session needs all of its parties at once. With a plain semaphore each party would start
//! requests in the order its own events arrived, and under load the parties would sit in
//! different sessions waiting for each other until the protocol's timeouts. Every party sees
//! the same requests, so taking them by (kind, id) makes them meet in the same sessions.
//!
//! Invariant: at most `capacity` turns are out at once, and a turn goes to the lowest waiting
//! request whenever one is free.

use std::collections::BTreeSet;
use std::sync::Mutex;

use tokio::sync::Notify;

use crate::request::RequestRef;

/// A bounded set of turns handed out by request order.
#[derive(Debug)]
pub struct Turns {
    state: Mutex<State>,
    changed: Notify,
}

#[derive(Debug)]
struct State {
    free: usize,
    waiting: BTreeSet<RequestRef>,
}

/// A turn; it is given back when dropped.
#[derive(Debug)]
pub struct Turn<'a> {
    turns: &'a Turns,
}

impl Turns {
    pub fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State {
                free: capacity.max(1),
                waiting: BTreeSet::new(),
            }),
            changed: Notify::new(),
        }
    }

    /// Waits until `request` is the lowest waiting request and a turn is free.
    pub async fn take(&self, request: RequestRef) -> Turn<'_> {
        self.lock().waiting.insert(request);
        // Leaves the queue if the caller stops waiting (its task was aborted).
        let waiting = Waiting {
            turns: self,
            request,
        };
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut state = self.lock();
                if state.free > 0 && state.waiting.first() == Some(&request) {
                    state.free -= 1;
                    state.waiting.remove(&request);
                    std::mem::forget(waiting);
                    drop(state);
                    // The next request may take another free turn.
                    self.changed.notify_waiters();
                    return Turn { turns: self };
                }
            }
            changed.await;
        }
    }

    /// Requests waiting for a turn (a metric: the queue's depth).
    pub fn waiting(&self) -> usize {
        self.lock().waiting.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("turns lock")
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.turns.lock().free += 1;
        self.turns.changed.notify_waiters();
    }
}

struct Waiting<'a> {
    turns: &'a Turns,
    request: RequestRef,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.turns.lock().waiting.remove(&self.request);
        self.turns.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// Requests arriving in any order get their turns lowest first, `capacity` at a time.
    #[tokio::test]
    async fn turns_go_to_the_lowest_waiting_request() {
        let turns = Arc::new(Turns::new(1));
        let first = turns.take(RequestRef::Sign(100)).await;
        let (order_tx, mut order) = tokio::sync::mpsc::unbounded_channel();
        let mut tasks = Vec::new();
        for id in [7, 3, 9, 1, 5] {
            let turns = turns.clone();
            let order_tx = order_tx.clone();
            tasks.push(tokio::spawn(async move {
                let _turn = turns.take(RequestRef::Sign(id)).await;
                order_tx.send(id).unwrap();
            }));
            tokio::task::yield_now().await;
        }
        while turns.waiting() < 5 {
            tokio::task::yield_now().await;
        }
        drop(first);
        for task in tasks {
            task.await.unwrap();
        }
        drop(order_tx);
        let mut got = Vec::new();
        while let Some(id) = order.recv().await {
            got.push(id);
        }
        assert_eq!(got, vec![1, 3, 5, 7, 9]);
    }

    /// Key requests come before signature requests (a signature may need the key).
    #[tokio::test]
    async fn key_requests_come_first() {
        let turns = Turns::new(1);
        let held = turns.take(RequestRef::Sign(1)).await;
        let sign = turns.take(RequestRef::Sign(2));
        let key = turns.take(RequestRef::Key(50));
        tokio::pin!(sign, key);
        // Both queue behind the held turn.
        assert!(futures::poll!(sign.as_mut()).is_pending());
        assert!(futures::poll!(key.as_mut()).is_pending());
        drop(held);
        assert!(futures::poll!(sign.as_mut()).is_pending());
        let key_turn = key.await;
        drop(key_turn);
        sign.await;
    }

    /// At most `capacity` turns are out; a waiter that gives up leaves the queue and does not
    /// block the requests behind it.
    #[tokio::test]
    async fn capacity_is_respected_and_abandoned_waiters_leave() {
        let turns = Turns::new(2);
        let a = turns.take(RequestRef::Sign(1)).await;
        let _b = turns.take(RequestRef::Sign(2)).await;
        {
            let c = turns.take(RequestRef::Sign(3));
            tokio::pin!(c);
            assert!(futures::poll!(c.as_mut()).is_pending());
            assert_eq!(turns.waiting(), 1);
        }
        assert_eq!(turns.waiting(), 0);
        let d = turns.take(RequestRef::Sign(4));
        tokio::pin!(d);
        assert!(futures::poll!(d.as_mut()).is_pending());
        drop(a);
        d.await;
    }
}
