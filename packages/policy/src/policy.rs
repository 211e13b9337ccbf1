use cosmwasm_schema::cw_serde;

use crate::PolicyError;

/// Deepest nesting a policy may have (a leaf alone has depth 1).
pub const MAX_DEPTH: usize = 4;
/// Most nodes (leaves and lists) a policy may have; bounds evaluation cost and storage.
pub const MAX_NODES: usize = 32;

/// A sign or admin policy: who must approve before something happens.
#[cw_serde]
pub enum Policy {
    /// This one address approves.
    Approver(String),
    /// `threshold` (default 1) distinct current owners of the workspace approve.
    Owners { threshold: Option<u32> },
    /// At least `threshold` of the sub-policies are satisfied.
    AnyOf { threshold: u32, of: Vec<Policy> },
    /// Every sub-policy is satisfied.
    AllOf(Vec<Policy>),
}

impl Policy {
    /// "Any one owner": the default admin and sign policy.
    pub fn any_owner() -> Self {
        Policy::Owners { threshold: None }
    }

    /// Number of nodes in the tree.
    pub fn nodes(&self) -> usize {
        match self {
            Policy::Approver(_) | Policy::Owners { .. } => 1,
            Policy::AnyOf { of, .. } | Policy::AllOf(of) => {
                1 + of.iter().map(Policy::nodes).sum::<usize>()
            }
        }
    }

    /// Nesting depth of the tree (a leaf has depth 1).
    pub fn depth(&self) -> usize {
        match self {
            Policy::Approver(_) | Policy::Owners { .. } => 1,
            Policy::AnyOf { of, .. } | Policy::AllOf(of) => {
                1 + of.iter().map(Policy::depth).max().unwrap_or(0)
            }
        }
    }

    /// Every address the policy names explicitly (not the `owners` leaves), in order, deduplicated.
    pub fn named_approvers(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_named(&mut out);
        out
    }

    fn collect_named(&self, out: &mut Vec<String>) {
        match self {
            Policy::Approver(a) => {
                if !out.contains(a) {
                    out.push(a.clone())
                }
            }
            Policy::Owners { .. } => {}
            Policy::AnyOf { of, .. } | Policy::AllOf(of) => {
                of.iter().for_each(|p| p.collect_named(out))
            }
        }
    }

    /// Whether any leaf refers to the workspace's owners as a group.
    pub fn uses_owners(&self) -> bool {
        match self {
            Policy::Approver(_) => false,
            Policy::Owners { .. } => true,
            Policy::AnyOf { of, .. } | Policy::AllOf(of) => of.iter().any(Policy::uses_owners),
        }
    }

    /// Checks the bounds, the thresholds, and that every named approver is one of `owners`.
    /// Size is checked first, so an oversized tree is refused before it is walked further.
    pub fn validate(&self, owners: &[String]) -> Result<(), PolicyError> {
        let nodes = self.nodes();
        if nodes > MAX_NODES {
            return Err(PolicyError::TooLarge {
                nodes,
                max: MAX_NODES,
            });
        }
        let depth = self.depth();
        if depth > MAX_DEPTH {
            return Err(PolicyError::TooDeep {
                depth,
                max: MAX_DEPTH,
            });
        }
        self.validate_node(owners)
    }

    fn validate_node(&self, owners: &[String]) -> Result<(), PolicyError> {
        match self {
            Policy::Approver(a) => {
                if owners.iter().any(|o| o == a) {
                    Ok(())
                } else {
                    Err(PolicyError::NotAnOwner { address: a.clone() })
                }
            }
            Policy::Owners { threshold } => {
                let max = owners.len() as u32;
                let t = threshold.unwrap_or(1);
                if t == 0 || t > max {
                    return Err(PolicyError::ThresholdOutOfRange { threshold: t, max });
                }
                Ok(())
            }
            Policy::AnyOf { threshold, of } => {
                Self::validate_list(of, owners)?;
                let max = of.len() as u32;
                if *threshold == 0 || *threshold > max {
                    return Err(PolicyError::ThresholdOutOfRange {
                        threshold: *threshold,
                        max,
                    });
                }
                Ok(())
            }
            Policy::AllOf(of) => Self::validate_list(of, owners),
        }
    }

    fn validate_list(of: &[Policy], owners: &[String]) -> Result<(), PolicyError> {
        if of.is_empty() {
            return Err(PolicyError::EmptyList);
        }
        let mut seen: Vec<&str> = Vec::new();
        for p in of {
            if let Policy::Approver(a) = p {
                if seen.contains(&a.as_str()) {
                    return Err(PolicyError::DuplicateApprover { address: a.clone() });
                }
                seen.push(a);
            }
            p.validate_node(owners)?;
        }
        Ok(())
    }
}
