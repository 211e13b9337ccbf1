//! The gas an answer reserves beyond its simulation.
//!
//! Every party simulates its answer against the state it sees, where the request is one answer
//! or more short of the threshold. But the parties answer at about the same time, so several
//! answers land in one block, and the one that executes last completes the threshold: it settles
//! the request (the key or the signatures stored, the status and its index moved, the fee paid
//! to every answering party). No simulation of a single answer sees that path, so each answer
//! carries, as its floor, its simulation plus the settlement's cost. A requester's callback is
//! not on that path: it runs in a `RunCallback` message of its own, sent after the request is
//! final by the party whose answer settled it, so no answer pays for a receiver's gas.
//!
//! Measured on wasmd v0.61.14 (Cosmos SDK 0.53) with the committed artifacts, a 3,000stake fee
//! paid out to two parties, in one block each (`connector/tests/localnet/completion_gas.rs`, the
//! "included" log lines): a key answer used 163,112 gas and the one completing the request
//! 229,435 (+66,323, two payouts included). The constants below round the settlement up by
//! about half; that test checks that no completing answer runs out, and that no answer's limit
//! is more than 2.5 times its use (the SDK charges the limit).

use crate::request::RequestRef;

/// Settling a key request: the key stored and indexed, the request's status and index moved,
/// the event.
pub const KEY_SETTLEMENT_GAS: u64 = 70_000;
/// Settling a signature request: the signatures and the status and its indexes written, the
/// event.
pub const SIGNATURE_SETTLEMENT_GAS: u64 = 60_000;
/// One bank transfer of the fee to one party (its share of each fee coin, one message).
pub const PAYOUT_GAS_PER_PARTY: u64 = 15_000;
/// What the answer to `request` reserves: the settlement of a request with `parties` parties.
pub fn completion_reserve(request: RequestRef, parties: usize) -> u64 {
    let settlement = match request {
        RequestRef::Key(_) => KEY_SETTLEMENT_GAS,
        RequestRef::Sign(_) => SIGNATURE_SETTLEMENT_GAS,
    };
    let payouts = PAYOUT_GAS_PER_PARTY.saturating_mul(parties as u64);
    settlement + payouts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_party_paid_adds_a_transfer() {
        let three = completion_reserve(RequestRef::Key(1), 3);
        let five = completion_reserve(RequestRef::Key(1), 5);
        assert_eq!(five - three, 2 * PAYOUT_GAS_PER_PARTY);
        assert_eq!(
            completion_reserve(RequestRef::Sign(1), 3),
            SIGNATURE_SETTLEMENT_GAS + 3 * PAYOUT_GAS_PER_PARTY
        );
        assert!(three > completion_reserve(RequestRef::Sign(1), 3));
    }
}
