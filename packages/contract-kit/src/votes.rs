//! Votes bound to membership. A vote is stored with the membership its voter cast it under (the
//! workspace's `memberships`: the admin action that made the voter an owner). It counts only
//! while that membership lasts: an owner's removal voids every vote they cast, on every open
//! record, without touching those records (which could be any number): each record sorts its
//! votes when it is next read or moved, drops the voided ones from storage when moved (one
//! `vote_voided` event each), and lets the voter vote afresh once they are an owner again.
//!
//! A record also stands on its requester's (proposer's) membership: a request made by an owner
//! who has since been removed can no longer be approved into effect.

use cosmwasm_std::{Addr, Event};
use mpc_interfaces::events::{action, attr};
use mpc_policy::{Ballots, Evaluation, Policy};
use serde::{Deserialize, Serialize};

/// A vote as stored: for or against, and the membership of the voter it was cast under.
/// Stored as one JSON number, `membership * 2 + approve` (`1`: a first owner's approval): every
/// stored byte of a vote costs 30 gas at each vote. Memberships are admin action ids, which
/// stay far below 2^63.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(from = "u64", into = "u64")]
pub struct Ballot {
    pub approve: bool,
    pub membership: u64,
}

impl From<u64> for Ballot {
    fn from(stored: u64) -> Self {
        Ballot {
            approve: stored & 1 == 1,
            membership: stored >> 1,
        }
    }
}

impl From<Ballot> for u64 {
    fn from(ballot: Ballot) -> u64 {
        ballot.membership << 1 | u64::from(ballot.approve)
    }
}

/// Who may vote and what counts now: the policy in force and the current owners, each with their
/// membership (in the same order).
pub struct InForce<'a> {
    pub policy: &'a Policy,
    pub owners: &'a [Addr],
    pub memberships: &'a [u64],
}

impl InForce<'_> {
    /// `address`'s current membership, if it is an owner.
    pub fn membership(&self, address: &Addr) -> Option<u64> {
        mpc_interfaces::workspace::membership_of(self.owners, self.memberships, address)
    }

    /// Whether a vote cast by `voter` under `membership` counts now.
    pub fn counts(&self, voter: &Addr, membership: u64) -> bool {
        self.membership(voter) == Some(membership)
    }

    pub fn owner_strings(&self) -> Vec<String> {
        self.owners.iter().map(Addr::to_string).collect()
    }

    /// May `address` vote now?
    pub fn is_eligible(&self, address: &Addr) -> bool {
        self.policy
            .is_eligible(address.as_str(), &self.owner_strings())
    }
}

/// A record's votes sorted by whether they count under the membership in force.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counted {
    /// The approvals and rejections that count, in the order given.
    pub approvals: Vec<Addr>,
    pub rejections: Vec<Addr>,
    /// Voters whose vote no longer counts: their membership ended since they cast it.
    pub voided: Vec<Addr>,
    /// Whether the requester's membership holds (the record may still take effect).
    pub requester_member: bool,
}

impl Counted {
    /// Sorts `votes` by `in_force`; `requester` is the record's requester and the membership it
    /// made the record under.
    pub fn sort<'v>(
        in_force: &InForce,
        requester: (&Addr, u64),
        votes: impl IntoIterator<Item = (&'v Addr, Ballot)>,
    ) -> Self {
        let mut counted = Counted {
            requester_member: in_force.counts(requester.0, requester.1),
            ..Counted::default()
        };
        for (voter, ballot) in votes {
            let list = if !in_force.counts(voter, ballot.membership) {
                &mut counted.voided
            } else if ballot.approve {
                &mut counted.approvals
            } else {
                &mut counted.rejections
            };
            list.push(voter.clone());
        }
        counted
    }

    /// `votes` as they were cast, every one counted: what a record that has moved on (no vote
    /// can change it any more) shows, whatever happened to its voters since.
    pub fn as_cast<'v>(votes: impl IntoIterator<Item = (&'v Addr, Ballot)>) -> Self {
        let mut counted = Counted {
            requester_member: true,
            ..Counted::default()
        };
        for (voter, ballot) in votes {
            counted.cast(voter, ballot.approve);
        }
        counted
    }

    /// Whether `voter` has a vote that counts (a voided vote does not stop a fresh one).
    pub fn has_voted(&self, voter: &Addr) -> bool {
        self.approvals.contains(voter) || self.rejections.contains(voter)
    }

    /// Adds `voter`'s vote (which the caller stores).
    pub fn cast(&mut self, voter: &Addr, approve: bool) {
        self.voided.retain(|v| v != voter);
        if approve {
            self.approvals.push(voter.clone());
        } else {
            self.rejections.push(voter.clone());
        }
    }

    /// The votes that count evaluated by the policy in force. A record whose requester is no
    /// longer a member can be neither satisfied nor satisfiable: it can only be rejected.
    pub fn evaluate(&self, in_force: &InForce) -> Evaluation {
        let strings = |list: &[Addr]| list.iter().map(Addr::to_string).collect::<Vec<_>>();
        let mut evaluation = in_force.policy.evaluate(&Ballots {
            owners: &in_force.owner_strings(),
            approvals: &strings(&self.approvals),
            rejections: &strings(&self.rejections),
        });
        if !self.requester_member {
            evaluation.satisfied = false;
            evaluation.satisfiable = false;
        }
        evaluation
    }

    /// One `vote_voided` event per voided vote, of event type `ty` with the record's own
    /// attributes (`record`) first.
    pub fn voided_events(&self, record: &Event) -> Vec<Event> {
        self.voided
            .iter()
            .map(|voter| {
                let mut event = Event::new(record.ty.trim_start_matches("wasm-"))
                    .add_attribute(attr::ACTION, action::VOTE_VOIDED);
                for attribute in record.attributes.iter().filter(|a| a.key != attr::ACTION) {
                    event = event.add_attribute(attribute.key.clone(), attribute.value.clone());
                }
                event.add_attribute(attr::VOTER, voter.as_str())
            })
            .collect()
    }
}

/// What a vote does to an open record, decided once for both contracts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The record takes effect (an admin action executes, a request turns `pending`).
    Effect,
    /// The record is rejected.
    Reject,
    /// The record stays open.
    Open,
}

impl Outcome {
    /// After an approval: the policy met takes effect, a policy that can no longer be met
    /// rejects. After a rejection: only the rejection, never the effect, even when a policy
    /// change left the approvals enough (`Execute` settles that).
    pub fn after_vote(evaluation: &Evaluation, approve: bool) -> Self {
        if !evaluation.satisfiable {
            Outcome::Reject
        } else if approve && evaluation.satisfied {
            Outcome::Effect
        } else {
            Outcome::Open
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs<const N: usize>(names: [&str; N]) -> [Addr; N] {
        names.map(Addr::unchecked)
    }

    #[test]
    fn a_vote_counts_only_under_the_membership_it_was_cast_under() {
        let [alice, bob, carol] = addrs(["alice", "bob", "carol"]);
        let policy = Policy::Owners { threshold: Some(2) };
        // bob was removed and added again by action 7: his vote under membership 0 is void.
        let owners = [alice.clone(), bob.clone(), carol.clone()];
        let in_force = InForce {
            policy: &policy,
            owners: &owners,
            memberships: &[0, 7, 0],
        };
        let approve = |membership| Ballot {
            approve: true,
            membership,
        };
        let votes = [(&alice, approve(0)), (&bob, approve(0))];
        let mut counted = Counted::sort(&in_force, (&alice, 0), votes);
        assert_eq!(counted.approvals, vec![alice.clone()]);
        assert_eq!(counted.voided, vec![bob.clone()]);
        assert!(!counted.evaluate(&in_force).satisfied);
        assert!(!counted.has_voted(&bob));
        counted.cast(&bob, true);
        assert!(counted.voided.is_empty());
        assert!(counted.evaluate(&in_force).satisfied);
    }

    #[test]
    fn a_record_whose_requester_left_can_only_be_rejected() {
        let [alice, bob] = addrs(["alice", "bob"]);
        let policy = Policy::any_owner();
        let owners = [bob.clone()];
        let in_force = InForce {
            policy: &policy,
            owners: &owners,
            memberships: &[0],
        };
        let counted = Counted::sort(
            &in_force,
            (&alice, 0),
            [(
                &bob,
                Ballot {
                    approve: true,
                    membership: 0,
                },
            )],
        );
        let evaluation = counted.evaluate(&in_force);
        assert!(!evaluation.satisfied && !evaluation.satisfiable);
        assert_eq!(Outcome::after_vote(&evaluation, true), Outcome::Reject);
    }

    #[test]
    fn a_ballot_is_stored_in_a_few_bytes() {
        let first = Ballot {
            approve: true,
            membership: 0,
        };
        assert_eq!(cosmwasm_std::to_json_string(&first).unwrap(), "1");
        let later = Ballot {
            approve: false,
            membership: 12,
        };
        let json = cosmwasm_std::to_json_string(&later).unwrap();
        assert_eq!(json, "24");
        assert_eq!(cosmwasm_std::from_json::<Ballot>(json).unwrap(), later);
    }

    #[test]
    fn a_rejection_never_takes_effect() {
        let met = Evaluation {
            satisfied: true,
            satisfiable: true,
            awaiting: vec![],
        };
        assert_eq!(Outcome::after_vote(&met, true), Outcome::Effect);
        assert_eq!(Outcome::after_vote(&met, false), Outcome::Open);
        let lost = Evaluation {
            satisfied: false,
            satisfiable: false,
            awaiting: vec![],
        };
        assert_eq!(Outcome::after_vote(&lost, false), Outcome::Reject);
    }

    #[test]
    fn a_voided_vote_has_an_event_naming_the_record_and_voter() {
        let record = Event::new("admin_action")
            .add_attribute(attr::ACTION, "approved")
            .add_attribute(attr::ACTION_ID, "3");
        let counted = Counted {
            voided: vec![Addr::unchecked("bob")],
            ..Counted::default()
        };
        let events = counted.voided_events(&record);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].ty, "admin_action");
        let attributes: Vec<_> = events[0]
            .attributes
            .iter()
            .map(|a| (a.key.as_str(), a.value.as_str()))
            .collect();
        assert_eq!(
            attributes,
            vec![
                (attr::ACTION, action::VOTE_VOIDED),
                (attr::ACTION_ID, "3"),
                (attr::VOTER, "bob")
            ]
        );
    }
}
