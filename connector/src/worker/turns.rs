//! Turns to run MPC, given out in one order at every party: the lowest request first.
//!
//! A session needs all of its parties at once. With a plain semaphore each party would start
//! requests in the order its own drives happened to get ready (each first reads the chain), and
//! under load the parties would sit in different sessions waiting for each other until the
//! protocol's timeouts. Every party sees the same requests, so taking them by (kind, id) makes
//! them meet in the same sessions.
//!
//! A drive *enlists* its request as soon as it starts, before it knows the request's class
//! (ECDSA runs are CPU-bound and have their own, smaller cap; EdDSA runs mostly wait on the
//! network). A request whose run failed takes its next turn in a later round
//! ([`Enlisted::next_round`]): behind every request still in an earlier one, so a request that
//! keeps failing (a key generation waiting for a party that is down) cannot starve the others.
//! Invariant: a turn of a class goes to a request only when one of that class is free and no
//! request ahead of it, by (round, request), could still want a turn of that class (its class
//! is unknown yet, or it is the same); at most `capacity` turns of a class are out at once.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use tokio::sync::Notify;

use crate::request::RequestRef;

/// What a run costs: which cap it counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Mostly waiting on the network (FROST).
    Network = 0,
    /// Mostly computing (CGGMP21's Paillier proofs).
    Cpu = 1,
}

/// Turns of both classes, handed out by request order.
#[derive(Debug)]
pub struct Turns {
    state: Mutex<State>,
    changed: Notify,
}

#[derive(Debug)]
struct State {
    free: [usize; 2],
    /// Enlisted requests without a turn, by (round, request): `None` until they ask for one
    /// of a class.
    waiting: BTreeMap<Place, Option<Class>>,
}

/// A place in the order: the round (runs failed before), then the request.
type Place = (u32, RequestRef);

impl State {
    fn may_take(&self, place: Place, class: Class) -> bool {
        self.free[class as usize] > 0
            && !self
                .waiting
                .range(..place)
                .any(|(_, wants)| wants.is_none_or(|c| c == class))
    }
}

/// A request's place in the order, from the start of its drive; it leaves when dropped.
#[derive(Debug)]
pub struct Enlisted<'a> {
    turns: &'a Turns,
    request: RequestRef,
    round: AtomicU32,
}

/// A turn; it is given back when dropped.
#[derive(Debug)]
pub struct Turn<'a> {
    turns: &'a Turns,
    class: Class,
}

impl Turns {
    /// `network` EdDSA-like runs and `cpu` ECDSA-like runs at once.
    pub fn new(network: usize, cpu: usize) -> Self {
        Self {
            state: Mutex::new(State {
                free: [network.max(1), cpu.max(1)],
                waiting: BTreeMap::new(),
            }),
            changed: Notify::new(),
        }
    }

    /// Takes `request`'s place in the order.
    pub fn enlist(&self, request: RequestRef) -> Enlisted<'_> {
        self.lock().waiting.entry((0, request)).or_insert(None);
        Enlisted {
            turns: self,
            request,
            round: AtomicU32::new(0),
        }
    }

    /// Waits for a turn of `class` for the enlisted `request` (see the module's invariant).
    pub async fn take(&self, enlisted: &Enlisted<'_>, class: Class) -> Turn<'_> {
        let place = enlisted.place();
        self.lock().waiting.insert(place, Some(class));
        // A lower request of another class may now pass.
        self.changed.notify_waiters();
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut state = self.lock();
                if state.may_take(place, class) {
                    state.free[class as usize] -= 1;
                    state.waiting.remove(&place);
                    drop(state);
                    self.changed.notify_waiters();
                    return Turn { turns: self, class };
                }
            }
            changed.await;
        }
    }

    /// Requests that asked for a turn and wait (a metric: the queue's depth).
    pub fn waiting(&self) -> usize {
        self.lock()
            .waiting
            .values()
            .filter(|wants| wants.is_some())
            .count()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("turns lock")
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.turns.lock().free[self.class as usize] += 1;
        self.turns.changed.notify_waiters();
    }
}

impl Enlisted<'_> {
    fn place(&self) -> Place {
        (self.round.load(Ordering::SeqCst), self.request)
    }

    /// Leaves the order: the drive will not run MPC (it answers without, or submits a saved
    /// answer), so it must not hold back the requests behind it.
    pub fn leave(&self) {
        self.turns.lock().waiting.remove(&self.place());
        self.turns.changed.notify_waiters();
    }

    /// After a failed run (its turn given back): the next turn comes behind every request of
    /// an earlier round.
    pub fn next_round(&self) {
        let mut state = self.turns.lock();
        let wants = state.waiting.remove(&self.place());
        self.round.fetch_add(1, Ordering::SeqCst);
        if let Some(wants) = wants {
            state.waiting.insert(self.place(), wants);
        }
        drop(state);
        self.turns.changed.notify_waiters();
    }
}

impl Drop for Enlisted<'_> {
    fn drop(&mut self) {
        self.leave();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use futures::FutureExt;

    use super::*;

    /// Requests that get ready in any order get their turns lowest first.
    #[tokio::test]
    async fn turns_go_to_the_lowest_enlisted_request() {
        let turns = Arc::new(Turns::new(1, 1));
        let (order_tx, mut order) = tokio::sync::mpsc::unbounded_channel();
        let mut tasks = Vec::new();
        // All are enlisted at once (their drives start), then ask in the opposite order.
        let ids = [9, 7, 5, 3, 1];
        let (go_tx, _) = tokio::sync::broadcast::channel::<()>(1);
        for (n, id) in ids.into_iter().enumerate() {
            let turns = turns.clone();
            let order_tx = order_tx.clone();
            let mut go = go_tx.subscribe();
            tasks.push(tokio::spawn(async move {
                let enlisted = turns.enlist(RequestRef::Sign(id));
                go.recv().await.unwrap();
                // Higher requests get ready first (their chain reads were quicker).
                tokio::time::sleep(std::time::Duration::from_millis(10 * (n as u64 + 1))).await;
                let _turn = turns.take(&enlisted, Class::Network).await;
                order_tx.send(id).unwrap();
                tokio::task::yield_now().await;
            }));
        }
        while turns.lock().waiting.len() < 5 {
            tokio::task::yield_now().await;
        }
        go_tx.send(()).unwrap();
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

    /// A lower request whose class is not known yet holds back the higher ones; once it turns
    /// out to be of the other class, they pass. Key requests come before signature requests.
    #[tokio::test]
    async fn a_lower_request_of_unknown_class_holds_back_and_another_class_does_not() {
        let turns = Turns::new(4, 1);
        let key = turns.enlist(RequestRef::Key(50));
        let sign = turns.enlist(RequestRef::Sign(2));
        let sign_turn = turns.take(&sign, Class::Network);
        tokio::pin!(sign_turn);
        assert!(futures::poll!(sign_turn.as_mut()).is_pending());
        // The key request turns out to be CPU-bound: the signature may go.
        let key_turn = turns.take(&key, Class::Cpu).await;
        let _sign_turn = sign_turn.await;
        drop(key_turn);
    }

    /// At most `capacity` turns of a class are out; a request that leaves (its drive ended)
    /// does not block the ones behind it.
    #[tokio::test]
    async fn capacity_is_respected_and_leaving_requests_unblock_the_rest() {
        let turns = Turns::new(1, 2);
        let (a, b, c, d) = (
            turns.enlist(RequestRef::Sign(1)),
            turns.enlist(RequestRef::Sign(2)),
            turns.enlist(RequestRef::Sign(3)),
            turns.enlist(RequestRef::Sign(4)),
        );
        let first = turns.take(&a, Class::Cpu).await;
        let _second = turns.take(&b, Class::Cpu).await;
        assert!(turns.take(&c, Class::Cpu).now_or_never().is_none());
        assert_eq!(turns.waiting(), 1);
        drop(c);
        assert_eq!(turns.waiting(), 0);
        let fourth = turns.take(&d, Class::Cpu);
        tokio::pin!(fourth);
        assert!(futures::poll!(fourth.as_mut()).is_pending());
        drop(first);
        fourth.await;
    }

    /// A request whose run failed goes behind the ones that have not had a turn yet, so one
    /// that keeps failing does not starve them.
    #[tokio::test]
    async fn a_request_that_failed_goes_behind_the_others() {
        let turns = Turns::new(1, 1);
        let (failing, waiting) = (
            turns.enlist(RequestRef::Sign(1)),
            turns.enlist(RequestRef::Sign(2)),
        );
        let turn = turns.take(&failing, Class::Cpu).await;
        let second = turns.take(&waiting, Class::Cpu);
        tokio::pin!(second);
        assert!(futures::poll!(second.as_mut()).is_pending());
        // Request 1 fails: gives its turn back and asks again, in the next round. The free
        // turn is request 2's, although 1 is lower.
        drop(turn);
        failing.next_round();
        let again = turns.take(&failing, Class::Cpu);
        tokio::pin!(again);
        assert!(futures::poll!(again.as_mut()).is_pending(), "2 goes first");
        let second = second.await;
        drop(second);
        again.await;
    }
}
