//! Properties of evaluation over random policies and ballots:
//! - a satisfied policy stays satisfied when more approve;
//! - a policy that cannot be satisfied stays so when more reject;
//! - satisfied implies satisfiable (approvals and rejections are disjoint);
//! - evaluation visits each node once, so its cost is bounded by the size bound.

use mpc_policy::{Ballots, Policy, MAX_DEPTH, MAX_NODES};
use proptest::prelude::*;

const PEOPLE: [&str; 6] = ["a", "b", "c", "d", "e", "f"];

fn owners() -> Vec<String> {
    PEOPLE[..4].iter().map(|s| s.to_string()).collect()
}

/// Random policies over the four owners, valid by construction or not (evaluation must cope).
fn policy() -> impl Strategy<Value = Policy> {
    let leaf = prop_oneof![
        (0..4usize).prop_map(|i| Policy::Approver(PEOPLE[i].to_string())),
        (1..=4u32).prop_map(|t| Policy::Owners { threshold: Some(t) }),
        Just(Policy::Owners { threshold: None }),
    ];
    leaf.prop_recursive(MAX_DEPTH as u32 - 1, MAX_NODES as u32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4).prop_flat_map(|of| {
                let n = of.len() as u32;
                (1..=n).prop_map(move |threshold| Policy::AnyOf {
                    threshold,
                    of: of.clone(),
                })
            }),
            prop::collection::vec(inner, 1..4).prop_map(Policy::AllOf),
        ]
    })
}

/// Policies that may exceed the bounds, to exercise refusal.
fn large_policy() -> impl Strategy<Value = Policy> {
    let leaf = (0..4usize).prop_map(|i| Policy::Owners {
        threshold: Some(i as u32 + 1),
    });
    leaf.prop_recursive(MAX_DEPTH as u32 + 2, MAX_NODES as u32 * 2, 8, |inner| {
        prop::collection::vec(inner, 1..8).prop_map(Policy::AllOf)
    })
}

/// Each person: 0 = no vote, 1 = approve, 2 = reject.
fn votes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(0u8..3, PEOPLE.len())
}

fn split(votes: &[u8]) -> (Vec<String>, Vec<String>) {
    let pick = |v: u8| {
        PEOPLE
            .iter()
            .zip(votes)
            .filter(|(_, x)| **x == v)
            .map(|(p, _)| p.to_string())
            .collect::<Vec<_>>()
    };
    (pick(1), pick(2))
}

proptest! {
    #[test]
    fn more_approvals_keep_a_satisfied_policy_satisfied(p in policy(), v in votes(), extra in 0..PEOPLE.len()) {
        let owners = owners();
        let (approvals, rejections) = split(&v);
        let before = Ballots { owners: &owners, approvals: &approvals, rejections: &rejections };
        prop_assume!(p.is_satisfied(&before));
        let mut more = approvals.clone();
        let newcomer = PEOPLE[extra].to_string();
        if !more.contains(&newcomer) { more.push(newcomer.clone()); }
        let rejections: Vec<String> = rejections.into_iter().filter(|r| *r != newcomer).collect();
        let after = Ballots { owners: &owners, approvals: &more, rejections: &rejections };
        prop_assert!(p.is_satisfied(&after));
    }

    #[test]
    fn more_rejections_keep_an_unsatisfiable_policy_unsatisfiable(p in policy(), v in votes(), extra in 0..PEOPLE.len()) {
        let owners = owners();
        let (approvals, rejections) = split(&v);
        let before = Ballots { owners: &owners, approvals: &approvals, rejections: &rejections };
        prop_assume!(!p.is_satisfiable(&before));
        let newcomer = PEOPLE[extra].to_string();
        let mut more = rejections.clone();
        if !more.contains(&newcomer) { more.push(newcomer.clone()); }
        let approvals: Vec<String> = approvals.into_iter().filter(|a| *a != newcomer).collect();
        let after = Ballots { owners: &owners, approvals: &approvals, rejections: &more };
        prop_assert!(!p.is_satisfiable(&after));
    }

    #[test]
    fn satisfied_implies_satisfiable(p in policy(), v in votes()) {
        let owners = owners();
        let (approvals, rejections) = split(&v);
        let b = Ballots { owners: &owners, approvals: &approvals, rejections: &rejections };
        prop_assert!(!p.is_satisfied(&b) || p.is_satisfiable(&b));
    }

    #[test]
    fn everyone_approving_satisfies_every_valid_policy(p in policy()) {
        let owners = owners();
        prop_assume!(p.validate(&owners).is_ok());
        let b = Ballots { owners: &owners, approvals: &owners, rejections: &[] };
        prop_assert!(p.is_satisfied(&b));
        prop_assert!(p.evaluate(&b).awaiting.is_empty());
    }

    #[test]
    fn every_accepted_policy_is_within_the_bounds_that_bound_evaluation(p in large_policy()) {
        // Evaluation is one walk over the tree with, at each leaf, a scan of the owners and votes:
        // a policy the contracts accept has at most MAX_NODES nodes and MAX_DEPTH levels.
        let owners = owners();
        if p.validate(&owners).is_ok() {
            prop_assert!(p.nodes() <= MAX_NODES);
            prop_assert!(p.depth() <= MAX_DEPTH);
        } else {
            // Leaves and lists of `large_policy` are always well formed: only the bounds refuse.
            prop_assert!(p.nodes() > MAX_NODES || p.depth() > MAX_DEPTH);
        }
    }
}
