//! The party threshold as both contracts apply it: a request is answered when `threshold`
//! distinct parties submitted the *same* value (a public key, a set of signatures). Answers are
//! grouped by value; the first group to reach the threshold wins (groups are checked after every
//! answer, so at most one group can reach it first). Failures and answers in other groups count
//! against the threshold: once the largest group plus the parties that have not answered is below
//! it, no value can win any more and the request is unreachable.

use cosmwasm_std::{Addr, Order, StdResult, Storage};
use cw_storage_plus::Map;
use mpc_interfaces::keyring::PartyKeyAnswer;
use mpc_interfaces::signature_requests::PartySignAnswer;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A party's answer to a request.
pub trait PartyAnswer {
    fn party(&self) -> &Addr;
}

impl PartyAnswer for PartyKeyAnswer {
    fn party(&self) -> &Addr {
        &self.party
    }
}

impl PartyAnswer for PartySignAnswer {
    fn party(&self) -> &Addr {
        &self.party
    }
}

/// Whether `party` is among the parties that gave `answers`.
pub fn has_answered<T: PartyAnswer>(answers: &[T], party: &Addr) -> bool {
    answers.iter().any(|answer| answer.party() == party)
}

/// The parties' answers to each request, stored one entry each, `(request id, answer number from
/// 0) -> answer`: an answer writes only itself, and they read back in the order they were given.
pub struct AnswerLog<T>(Map<(u64, u32), T>);

impl<T: Serialize + DeserializeOwned> AnswerLog<T> {
    pub const fn new(namespace: &'static str) -> Self {
        AnswerLog(Map::new(namespace))
    }

    /// The answers to request `id`, in the order they were given.
    pub fn load(&self, storage: &dyn Storage, id: u64) -> StdResult<Vec<T>> {
        self.0
            .prefix(id)
            .range(storage, None, None, Order::Ascending)
            .map(|entry| entry.map(|(_, answer)| answer))
            .collect()
    }

    /// Stores the next answer to request `id`, after `answers` (the ones loaded).
    pub fn add(
        &self,
        storage: &mut dyn Storage,
        id: u64,
        answers: &mut Vec<T>,
        answer: T,
    ) -> StdResult<()> {
        self.store(storage, id, answers.len(), &answer)?;
        answers.push(answer);
        Ok(())
    }

    /// Stores answer number `number` to request `id` (the next one: as many were given before).
    pub fn store(
        &self,
        storage: &mut dyn Storage,
        id: u64,
        number: usize,
        answer: &T,
    ) -> StdResult<()> {
        self.0.save(storage, (id, number as u32), answer)
    }

    /// Answer number `number` to request `id`.
    pub fn nth(&self, storage: &dyn Storage, id: u64, number: u32) -> StdResult<T> {
        self.0.load(storage, (id, number))
    }
}

/// Where the answers so far leave a request.
#[derive(Debug, PartialEq)]
pub enum Tally<'a, V> {
    /// `threshold` parties gave `value`; they are listed in the order they answered.
    Agreed { value: &'a V, parties: Vec<Addr> },
    /// Not enough parties are left unanswered to reach the threshold.
    Unreachable { unanswered: usize, largest: usize },
    /// Still possible, not yet reached.
    Open,
}

impl<V> Tally<'_, V> {
    /// Why an unreachable request ends, for its `reject_reason`.
    pub fn unreachable_reason(threshold: u32, unanswered: usize, largest: usize) -> String {
        format!(
            "party threshold {threshold} can no longer be met: {unanswered} parties unanswered, \
             largest agreement {largest}"
        )
    }
}

/// Tallies `answers` (each party once: its value, or `None` for a failure) of a request that
/// `parties` parties may answer and `threshold` must agree on.
pub fn tally<'a, V: PartialEq + 'a>(
    answers: impl IntoIterator<Item = (&'a Addr, Option<&'a V>)>,
    parties: usize,
    threshold: u32,
) -> Tally<'a, V> {
    let threshold = threshold as usize;
    // (value, parties that gave it), in order of first appearance; at most one group per party.
    let mut groups: Vec<(&V, Vec<Addr>)> = Vec::new();
    let mut answered = 0;
    for (party, value) in answers {
        answered += 1;
        let Some(value) = value else { continue };
        match groups.iter_mut().find(|(v, _)| *v == value) {
            Some((_, group)) => group.push(party.clone()),
            None => groups.push((value, vec![party.clone()])),
        }
    }
    let largest = groups.iter().map(|(_, p)| p.len()).max().unwrap_or(0);
    if let Some((value, parties)) = groups.into_iter().find(|(_, p)| p.len() >= threshold) {
        return Tally::Agreed { value, parties };
    }
    let unanswered = parties.saturating_sub(answered);
    if unanswered + largest < threshold {
        return Tally::Unreachable {
            unanswered,
            largest,
        };
    }
    Tally::Open
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;
    use mpc_interfaces::keyring::KeyResult;

    #[test]
    fn answers_read_back_in_the_order_given() {
        const ANSWERS: AnswerLog<PartyKeyAnswer> = AnswerLog::new("answers");
        let mut storage = MockStorage::new();
        let answer = |party: &str| PartyKeyAnswer {
            party: Addr::unchecked(party),
            result: KeyResult::Failure {
                reason: String::new(),
            },
            height: 1,
        };
        let mut answers = ANSWERS.load(&storage, 7).unwrap();
        for party in ["p2", "p1"] {
            ANSWERS
                .add(&mut storage, 7, &mut answers, answer(party))
                .unwrap();
        }
        assert_eq!(ANSWERS.load(&storage, 7).unwrap(), answers);
        assert_eq!(answers[0].party, Addr::unchecked("p2"));
        assert!(has_answered(&answers, &Addr::unchecked("p1")));
        assert!(!has_answered(&answers, &Addr::unchecked("p3")));
        assert!(ANSWERS.load(&storage, 8).unwrap().is_empty());
    }

    fn run(threshold: u32, parties: usize, answers: &[Option<u8>]) -> Tally<'static, u8> {
        let addrs: Vec<Addr> = (0..answers.len())
            .map(|i| Addr::unchecked(format!("p{i}")))
            .collect();
        let addrs: &'static [Addr] = Box::leak(addrs.into_boxed_slice());
        let answers: &'static [Option<u8>] = Box::leak(answers.to_vec().into_boxed_slice());
        tally(
            addrs.iter().zip(answers.iter().map(Option::as_ref)),
            parties,
            threshold,
        )
    }

    #[test]
    fn same_values_agree_and_disagreement_counts_against() {
        assert_eq!(run(2, 3, &[Some(1)]), Tally::Open);
        assert_eq!(run(2, 3, &[Some(1), Some(2)]), Tally::Open);
        assert_eq!(
            run(2, 3, &[Some(1), Some(2), Some(1)]),
            Tally::Agreed {
                value: &1,
                parties: vec![Addr::unchecked("p0"), Addr::unchecked("p2")],
            }
        );
        assert_eq!(
            run(2, 3, &[Some(1), Some(2), None]),
            Tally::Unreachable {
                unanswered: 0,
                largest: 1
            }
        );
        assert_eq!(
            run(3, 5, &[None, None, None]),
            Tally::Unreachable {
                unanswered: 2,
                largest: 0
            }
        );
        assert_eq!(run(3, 5, &[None, None]), Tally::Open);
    }
}
