use cosmwasm_schema::cw_serde;

use crate::Policy;

/// The votes cast so far and the owners the `owners` leaves refer to.
/// Addresses are compared as strings; callers pass validated, canonical addresses.
#[derive(Debug, Clone, Copy)]
pub struct Ballots<'a> {
    pub owners: &'a [String],
    pub approvals: &'a [String],
    pub rejections: &'a [String],
}

/// The answer to a policy's three questions for one set of ballots.
#[cw_serde]
pub struct Evaluation {
    /// The approvals so far satisfy the policy.
    pub satisfied: bool,
    /// The policy could still be satisfied if everyone who has not voted approved.
    pub satisfiable: bool,
    /// Who may still cast a vote that the policy counts (eligible and not yet voted), sorted.
    pub awaiting: Vec<String>,
}

impl<'a> Ballots<'a> {
    fn approved(&self, a: &str) -> bool {
        self.approvals.iter().any(|x| x == a)
    }

    fn rejected(&self, a: &str) -> bool {
        self.rejections.iter().any(|x| x == a)
    }
}

impl Policy {
    /// Is the policy satisfied by `ballots.approvals`? Each approver counts once: in its
    /// `approver` leaf if the policy names it, else in the `owners` leaf.
    pub fn is_satisfied(&self, b: &Ballots) -> bool {
        let others = self.unnamed_owners(b.owners);
        self.satisfied_with(b, &others)
    }

    fn satisfied_with(&self, b: &Ballots, others: &[&String]) -> bool {
        match self {
            Policy::Approver(a) => b.approved(a),
            Policy::Owners { threshold } => {
                let have = others.iter().filter(|o| b.approved(o)).count();
                have as u32 >= threshold.unwrap_or(1)
            }
            Policy::AnyOf { threshold, of } => {
                of.iter().filter(|p| p.satisfied_with(b, others)).count() as u32 >= *threshold
            }
            Policy::AllOf(of) => of.iter().all(|p| p.satisfied_with(b, others)),
        }
    }

    /// Can the policy still be satisfied, given the rejections so far?
    /// (Everyone who has not rejected is assumed to approve.)
    pub fn is_satisfiable(&self, b: &Ballots) -> bool {
        let others = self.unnamed_owners(b.owners);
        self.satisfiable_with(b, &others)
    }

    fn satisfiable_with(&self, b: &Ballots, others: &[&String]) -> bool {
        match self {
            Policy::Approver(a) => !b.rejected(a),
            Policy::Owners { threshold } => {
                let possible = others.iter().filter(|o| !b.rejected(o)).count();
                possible as u32 >= threshold.unwrap_or(1)
            }
            Policy::AnyOf { threshold, of } => {
                of.iter().filter(|p| p.satisfiable_with(b, others)).count() as u32 >= *threshold
            }
            Policy::AllOf(of) => of.iter().all(|p| p.satisfiable_with(b, others)),
        }
    }

    /// Everyone whose approval this policy counts: named approvers, plus all owners when an
    /// `owners` leaf is present. Sorted and deduplicated.
    pub fn eligible(&self, owners: &[String]) -> Vec<String> {
        let mut out = self.named_approvers();
        if self.uses_owners() {
            out.extend(owners.iter().cloned());
        }
        out.sort();
        out.dedup();
        out
    }

    /// May `address` vote on this policy?
    pub fn is_eligible(&self, address: &str, owners: &[String]) -> bool {
        (self.uses_owners() && owners.iter().any(|o| o == address))
            || self.named_approvers().iter().any(|a| a == address)
    }

    /// All three answers at once.
    pub fn evaluate(&self, b: &Ballots) -> Evaluation {
        let awaiting = self
            .eligible(b.owners)
            .into_iter()
            .filter(|a| !b.approved(a) && !b.rejected(a))
            .collect();
        Evaluation {
            satisfied: self.is_satisfied(b),
            satisfiable: self.is_satisfiable(b),
            awaiting,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn owners_threshold_counts_only_owners() {
        let owners = s(&["a", "b", "c"]);
        let p = Policy::Owners { threshold: Some(2) };
        let approvals = s(&["a", "x"]);
        let b = Ballots {
            owners: &owners,
            approvals: &approvals,
            rejections: &[],
        };
        assert!(!p.is_satisfied(&b));
        let approvals = s(&["a", "c"]);
        let b = Ballots {
            owners: &owners,
            approvals: &approvals,
            rejections: &[],
        };
        assert!(p.is_satisfied(&b));
    }

    #[test]
    fn any_of_becomes_unsatisfiable_after_enough_rejections() {
        let owners = s(&["a", "b", "c"]);
        let p = Policy::AnyOf {
            threshold: 2,
            of: vec![
                Policy::Approver("a".into()),
                Policy::Approver("b".into()),
                Policy::Approver("c".into()),
            ],
        };
        let rejections = s(&["b"]);
        let b = Ballots {
            owners: &owners,
            approvals: &[],
            rejections: &rejections,
        };
        assert!(p.is_satisfiable(&b));
        let rejections = s(&["b", "c"]);
        let b = Ballots {
            owners: &owners,
            approvals: &[],
            rejections: &rejections,
        };
        assert!(!p.is_satisfiable(&b));
        assert_eq!(p.evaluate(&b).awaiting, s(&["a"]));
    }

    #[test]
    fn all_of_needs_every_branch() {
        let owners = s(&["a", "b", "c"]);
        let p = Policy::AllOf(vec![
            Policy::Approver("a".into()),
            Policy::Owners { threshold: Some(2) },
        ]);
        let approvals = s(&["a"]);
        let b = Ballots {
            owners: &owners,
            approvals: &approvals,
            rejections: &[],
        };
        assert!(!p.is_satisfied(&b));
        // `a` counts once, in its own leaf: the `owners` leaf needs two of the others.
        let approvals = s(&["a", "b"]);
        let b = Ballots {
            owners: &owners,
            approvals: &approvals,
            rejections: &[],
        };
        assert!(!p.is_satisfied(&b));
        let approvals = s(&["a", "b", "c"]);
        let b = Ballots {
            owners: &owners,
            approvals: &approvals,
            rejections: &[],
        };
        assert!(p.is_satisfied(&b));
    }

    #[test]
    fn eligibility_follows_the_leaves() {
        let owners = s(&["a", "b", "c"]);
        let named = Policy::AnyOf {
            threshold: 1,
            of: vec![Policy::Approver("b".into())],
        };
        assert!(named.is_eligible("b", &owners));
        assert!(!named.is_eligible("a", &owners));
        assert_eq!(Policy::any_owner().eligible(&owners), owners);
    }
}
