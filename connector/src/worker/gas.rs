//! The gas an answer reserves beyond its simulation.
//!
//! Every party simulates its answer against the state it sees, where the request is one answer
//! or more short of the threshold. But the parties answer at about the same time, so several
//! answers land in one block, and the one that executes last completes the threshold: it settles
//! the request (the key or the signatures stored, the status and its index moved, the fee paid
//! to every answering party) and, for a signature request with a callback, runs the requester's
//! callback with up to [`CALLBACK_GAS_LIMIT`]. No simulation of a single answer sees that path,
//! so a multiplier alone cannot cover it (a callback alone may need five times the answer). Each
//! answer therefore carries, as its floor, its simulation plus the settlement's cost.
//!
//! Measured on wasmd v0.61.14 (Cosmos SDK 0.53) with the committed artifacts, a 3,000stake fee
//! paid out to two parties, in one block each (`connector/tests/localnet/completion_gas.rs`, the
//! "included" log lines): a key answer used 163,112 gas and the one completing the request
//! 229,435 (+66,323); a signature answer 199,554 and the completing one, whose callback journals
//! 40 writes, 576,839 (+377,285). The constants below round the settlement up with room to spare
//! and reserve the callback's whole limit; that test checks that no completing answer runs out.

use mpc_interfaces::signature_requests::CALLBACK_GAS_LIMIT;

use crate::request::RequestRef;

/// Settling a key request: the key stored and indexed, the request's status and index moved,
/// the event.
pub const KEY_SETTLEMENT_GAS: u64 = 120_000;
/// Settling a signature request: the signatures and the status and its indexes written, the
/// event.
pub const SIGNATURE_SETTLEMENT_GAS: u64 = 100_000;
/// One bank transfer of the fee to one party (its share of each fee coin, one message).
pub const PAYOUT_GAS_PER_PARTY: u64 = 30_000;
/// Dispatching the callback beyond the receiver's own limit: the submessage, and the reply that
/// records a failing receiver.
pub const CALLBACK_DISPATCH_GAS: u64 = 100_000;

/// What the answer to `request` reserves: the settlement of a request with `parties` parties,
/// plus the callback when there is one.
pub fn completion_reserve(request: RequestRef, parties: usize, callback: bool) -> u64 {
    let settlement = match request {
        RequestRef::Key(_) => KEY_SETTLEMENT_GAS,
        RequestRef::Sign(_) => SIGNATURE_SETTLEMENT_GAS,
    };
    let payouts = PAYOUT_GAS_PER_PARTY.saturating_mul(parties as u64);
    let callback = if callback {
        CALLBACK_GAS_LIMIT + CALLBACK_DISPATCH_GAS
    } else {
        0
    };
    settlement + payouts + callback
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callback_reserves_the_receivers_whole_limit() {
        let without = completion_reserve(RequestRef::Sign(1), 3, false);
        let with = completion_reserve(RequestRef::Sign(1), 3, true);
        assert_eq!(without, 100_000 + 3 * 30_000);
        assert_eq!(with - without, CALLBACK_GAS_LIMIT + CALLBACK_DISPATCH_GAS);
    }

    #[test]
    fn every_party_paid_adds_a_transfer() {
        let three = completion_reserve(RequestRef::Key(1), 3, false);
        let five = completion_reserve(RequestRef::Key(1), 5, false);
        assert_eq!(five - three, 2 * PAYOUT_GAS_PER_PARTY);
        assert!(three > completion_reserve(RequestRef::Sign(1), 3, false));
    }
}
