//! Drops requests the event source has already handed on: the catch-up pages and the live
//! stream overlap after every (re)connect, and one request emits several `pending` events.

use std::collections::{HashSet, VecDeque};

use super::RequestRef;

/// Remembers the last `capacity` requests handed on. Memory stays bounded; a request older than
/// that which shows up again is handed on again, and the worker's store recognises it.
#[derive(Debug)]
pub struct Dedupe {
    capacity: usize,
    seen: HashSet<RequestRef>,
    order: VecDeque<RequestRef>,
}

impl Dedupe {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            seen: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    /// `true` the first time a request is offered (it is then remembered), `false` after.
    pub fn first_sighting(&mut self, request: RequestRef) -> bool {
        if !self.seen.insert(request) {
            return false;
        }
        self.order.push_back(request);
        if self.order.len() > self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.seen.remove(&oldest);
            }
        }
        true
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_passes_once() {
        let mut d = Dedupe::new(10);
        assert!(d.first_sighting(RequestRef::Sign(1)));
        assert!(!d.first_sighting(RequestRef::Sign(1)));
        assert!(!d.first_sighting(RequestRef::Sign(1)));
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn kinds_are_told_apart() {
        let mut d = Dedupe::new(10);
        assert!(d.first_sighting(RequestRef::Key(5)));
        assert!(d.first_sighting(RequestRef::Sign(5)));
        assert!(!d.first_sighting(RequestRef::Key(5)));
    }

    #[test]
    fn memory_is_bounded_and_the_oldest_is_forgotten_first() {
        let mut d = Dedupe::new(3);
        for id in 1..=4 {
            assert!(d.first_sighting(RequestRef::Sign(id)));
        }
        assert_eq!(d.len(), 3);
        // 1 was evicted by 4; 2..=4 are still remembered.
        assert!(!d.first_sighting(RequestRef::Sign(4)));
        assert!(!d.first_sighting(RequestRef::Sign(2)));
        assert!(d.first_sighting(RequestRef::Sign(1)));
    }

    #[test]
    fn backlog_and_stream_overlap_yield_each_request_once() {
        let mut d = Dedupe::new(100);
        let backlog = [RequestRef::Key(1), RequestRef::Sign(2), RequestRef::Sign(3)];
        let stream = [RequestRef::Sign(3), RequestRef::Sign(4), RequestRef::Key(1)];
        let passed: Vec<_> = backlog
            .iter()
            .chain(stream.iter())
            .copied()
            .filter(|r| d.first_sighting(*r))
            .collect();
        assert_eq!(
            passed,
            vec![
                RequestRef::Key(1),
                RequestRef::Sign(2),
                RequestRef::Sign(3),
                RequestRef::Sign(4)
            ]
        );
    }
}
