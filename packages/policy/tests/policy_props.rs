//! Properties of evaluation over random policies and ballots:
//! - a satisfied policy stays satisfied when more approve;
//! - a policy that cannot be satisfied stays so when more reject;
//! - satisfied implies satisfiable (approvals and rejections are disjoint);
//! - evaluation visits each node once, so its cost is bounded by the size bound;
//! - every approver counts once: a policy naming an approver twice anywhere in the tree, or with
//!   two `owners` leaves, is refused, and a satisfied valid policy has at least as many distinct
//!   eligible approvals as its smallest satisfying set needs when each approver counts once.

use mpc_policy::{Ballots, Policy, PolicyError, MAX_DEPTH, MAX_NODES};
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

/// Fewest distinct approvals that can satisfy `p` if every leaf needs its own approvers.
fn min_approvals(p: &Policy) -> usize {
    match p {
        Policy::Approver(_) => 1,
        Policy::Owners { threshold } => threshold.unwrap_or(1) as usize,
        Policy::AnyOf { threshold, of } => {
            let mut needs: Vec<usize> = of.iter().map(min_approvals).collect();
            needs.sort();
            needs.iter().take(*threshold as usize).sum()
        }
        Policy::AllOf(of) => of.iter().map(min_approvals).sum(),
    }
}

/// `p` with `leaf` added to one of its lists (or beside it, when `p` is a leaf), picked by `choice`.
fn insert_somewhere(p: Policy, leaf: Policy, choice: usize) -> Policy {
    match p {
        Policy::AnyOf { threshold, mut of } => {
            let at = choice % (of.len() + 1);
            if at == of.len() {
                of.push(leaf);
            } else {
                let child = of.remove(at);
                of.insert(at, insert_somewhere(child, leaf, choice / (of.len() + 1)));
            }
            Policy::AnyOf { threshold, of }
        }
        Policy::AllOf(mut of) => {
            let at = choice % (of.len() + 1);
            if at == of.len() {
                of.push(leaf);
            } else {
                let child = of.remove(at);
                of.insert(at, insert_somewhere(child, leaf, choice / (of.len() + 1)));
            }
            Policy::AllOf(of)
        }
        leaf_node => Policy::AllOf(vec![leaf_node, leaf]),
    }
}

proptest! {
    // Random trees are mostly invalid (a repeated approver, a second `owners` leaf): these
    // properties are about valid ones, so many draws are set aside.
    #![proptest_config(ProptestConfig { max_global_rejects: 20_000, ..ProptestConfig::default() })]

    #[test]
    fn an_approver_named_twice_anywhere_is_refused(p in policy(), pick in 0..4usize, choice in any::<usize>()) {
        let owners = owners();
        prop_assume!(p.validate(&owners).is_ok());
        let named = p.named_approvers();
        prop_assume!(!named.is_empty());
        let twice = insert_somewhere(p.clone(), Policy::Approver(named[pick % named.len()].clone()), choice);
        let refused = twice.validate(&owners).unwrap_err();
        // Bounds are checked first; within them, the duplicate is what is refused.
        if twice.nodes() <= MAX_NODES && twice.depth() <= MAX_DEPTH {
            prop_assert_eq!(refused, PolicyError::DuplicateApprover { address: named[pick % named.len()].clone() });
        }
    }

    #[test]
    fn a_second_owners_leaf_is_refused(p in policy(), choice in any::<usize>()) {
        let owners = owners();
        prop_assume!(p.validate(&owners).is_ok() && p.uses_owners());
        let twice = insert_somewhere(p, Policy::Owners { threshold: None }, choice);
        prop_assume!(twice.nodes() <= MAX_NODES && twice.depth() <= MAX_DEPTH);
        prop_assert_eq!(twice.validate(&owners), Err(PolicyError::OwnersLeafTwice { leaves: 2 }));
    }

    #[test]
    fn every_approver_counts_once(p in policy(), v in votes()) {
        let owners = owners();
        prop_assume!(p.validate(&owners).is_ok());
        let (approvals, rejections) = split(&v);
        let b = Ballots { owners: &owners, approvals: &approvals, rejections: &rejections };
        if p.is_satisfied(&b) {
            let eligible = p.eligible(&owners);
            let counted = approvals.iter().filter(|a| eligible.contains(a)).count();
            prop_assert!(counted >= min_approvals(&p), "{counted} approvals satisfied {p:?}");
        }
    }

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
            // Leaves and lists of `large_policy` are well formed: only the bounds refuse, or,
            // within them, a second `owners` leaf.
            prop_assert!(p.nodes() > MAX_NODES || p.depth() > MAX_DEPTH || p.owners_leaves() > 1);
        }
    }
}
