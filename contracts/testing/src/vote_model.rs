//! A model of owners' votes for the property tests of admin actions and signature requests: a
//! workspace's members, each with the generation of their membership, a policy of "`threshold`
//! of the owners", and ballots (an action or a request with its votes). Its counting is its own,
//! a threshold over its own member list, not the contracts' policy evaluation, so a property test
//! checks the one against the other.
//!
//! The rules it states: a vote counts only while its voter is a member under the membership it
//! was cast in (a removal voids it; a re-added member votes afresh); a ballot whose author is no
//! longer that member can neither pass nor be met; it passes once the counting approvals reach
//! the threshold, and cannot be met once the counting rejections leave too few owners.

use std::collections::BTreeMap;

/// An account, by its index in the test's account list.
pub type Account = usize;

/// A workspace as the model sees it.
#[derive(Clone, Debug)]
pub struct Members {
    /// Each member with the generation of their membership.
    generations: BTreeMap<Account, u32>,
    /// The last generation given out: each addition gets a new one.
    last_generation: u32,
    /// How many owners the policy needs.
    pub threshold: u32,
}

impl Members {
    /// `founders` (generation 0) under a policy of `threshold` owners.
    pub fn new(founders: impl IntoIterator<Item = Account>, threshold: u32) -> Self {
        Self {
            generations: founders.into_iter().map(|a| (a, 0)).collect(),
            last_generation: 0,
            threshold,
        }
    }

    /// Adds `who` under a new generation (a member added again does not get their old one).
    pub fn add(&mut self, who: Account) {
        self.last_generation += 1;
        self.generations.insert(who, self.last_generation);
    }

    pub fn remove(&mut self, who: Account) {
        self.generations.remove(&who);
    }

    /// `who`'s current membership, `None` when not a member.
    pub fn generation(&self, who: Account) -> Option<u32> {
        self.generations.get(&who).copied()
    }

    pub fn contains(&self, who: Account) -> bool {
        self.generations.contains_key(&who)
    }

    pub fn count(&self) -> u32 {
        self.generations.len() as u32
    }

    /// Any member (the first by account index).
    pub fn any(&self) -> Option<Account> {
        self.generations.keys().next().copied()
    }
}

/// What the votes on a ballot come to under the members as they are now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tally {
    /// The counting approvals reach the threshold.
    pub passes: bool,
    /// Enough owners have not rejected for the threshold still to be reached.
    pub can_pass: bool,
}

/// An action or a request: who made it (and under which membership), and every vote as cast.
#[derive(Clone, Debug)]
pub struct Ballot {
    pub author: (Account, u32),
    /// (voter, approve, generation)
    pub votes: Vec<(Account, bool, u32)>,
}

impl Ballot {
    /// Made by `author` under membership `generation`, with the author's own approval.
    pub fn new(author: Account, generation: u32) -> Self {
        Self { author: (author, generation), votes: vec![(author, true, generation)] }
    }

    /// The votes that count: cast by members under their current generation.
    pub fn counting(&self, members: &Members) -> Vec<(Account, bool)> {
        self.votes
            .iter()
            .filter(|(voter, _, generation)| members.generation(*voter) == Some(*generation))
            .map(|(voter, approve, _)| (*voter, *approve))
            .collect()
    }

    /// Whether `who` has a vote that counts.
    pub fn has_voted(&self, members: &Members, who: Account) -> bool {
        self.counting(members).iter().any(|(voter, _)| *voter == who)
    }

    pub fn tally(&self, members: &Members) -> Tally {
        if members.generation(self.author.0) != Some(self.author.1) {
            return Tally { passes: false, can_pass: false };
        }
        let counting = self.counting(members);
        let approvals = counting.iter().filter(|(_, approve)| *approve).count() as u32;
        let rejections = counting.len() as u32 - approvals;
        Tally {
            passes: approvals >= members.threshold,
            can_pass: members.count() - rejections >= members.threshold,
        }
    }

    /// Whether an open ballot awaits `who`: a member without a counting vote, on a ballot that
    /// can still pass.
    pub fn awaits(&self, members: &Members, who: Account) -> bool {
        members.contains(who) && !self.has_voted(members, who) && self.tally(members).can_pass
    }

    /// This ballot with `who`'s vote, when `who` is a member (else unchanged).
    pub fn with_vote(&self, members: &Members, who: Account, approve: bool) -> Ballot {
        let mut voted = self.clone();
        voted.votes.extend(members.generation(who).map(|g| (who, approve, g)));
        voted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_removed_and_re_added_member_s_old_votes_do_not_count_and_they_vote_afresh() {
        let mut members = Members::new([0, 1, 2], 2);
        let ballot = Ballot::new(0, 0).with_vote(&members, 1, false);
        assert_eq!(ballot.counting(&members), vec![(0, true), (1, false)]);
        members.remove(1);
        members.add(1);
        assert_eq!(ballot.counting(&members), vec![(0, true)]);
        assert!(ballot.awaits(&members, 1));
        let ballot = ballot.with_vote(&members, 1, true);
        assert_eq!(ballot.tally(&members), Tally { passes: true, can_pass: true });
    }

    #[test]
    fn an_author_who_left_leaves_a_ballot_that_cannot_pass() {
        let mut members = Members::new([0, 1, 2], 1);
        let ballot = Ballot::new(2, 0);
        assert!(ballot.tally(&members).passes);
        members.remove(2);
        assert_eq!(ballot.tally(&members), Tally { passes: false, can_pass: false });
        assert!(!ballot.awaits(&members, 0));
    }

    #[test]
    fn rejections_that_leave_too_few_owners_mean_it_cannot_pass() {
        let members = Members::new([0, 1, 2], 2);
        let ballot = Ballot::new(0, 0).with_vote(&members, 1, false);
        assert!(ballot.tally(&members).can_pass);
        let ballot = ballot.with_vote(&members, 2, false);
        assert!(!ballot.tally(&members).can_pass);
        // A non-member's vote is not recorded.
        assert_eq!(ballot.with_vote(&members, 3, true).votes.len(), 3);
    }
}
