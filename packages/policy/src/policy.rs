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
    /// `threshold` (default 1) distinct current owners of the workspace approve, counting only
    /// the owners the policy does not name in an `approver` leaf (those count there, once).
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

    /// Number of `owners` leaves in the tree.
    pub fn owners_leaves(&self) -> usize {
        match self {
            Policy::Approver(_) => 0,
            Policy::Owners { .. } => 1,
            Policy::AnyOf { of, .. } | Policy::AllOf(of) => {
                of.iter().map(Policy::owners_leaves).sum()
            }
        }
    }

    /// The owners an `owners` leaf of this policy counts: those not named by an `approver` leaf.
    pub fn unnamed_owners<'o>(&self, owners: &'o [String]) -> Vec<&'o String> {
        let named = self.named_approvers();
        owners.iter().filter(|o| !named.contains(o)).collect()
    }

    /// Checks the bounds, the thresholds, that every named approver is one of `owners`, and that
    /// every approver counts once: no address is named twice anywhere in the tree and there is at
    /// most one `owners` leaf (which counts only the owners not named elsewhere).
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
        let leaves = self.owners_leaves();
        if leaves > 1 {
            return Err(PolicyError::OwnersLeafTwice { leaves });
        }
        let mut named = Vec::new();
        self.validate_node(owners, &mut named)?;
        let unnamed = owners.len() - named.len();
        self.validate_owners_leaf(unnamed as u32)
    }

    /// Checks every node but the `owners` leaf's threshold; `named` collects the approvers seen.
    fn validate_node(&self, owners: &[String], named: &mut Vec<String>) -> Result<(), PolicyError> {
        match self {
            Policy::Approver(a) => {
                if named.contains(a) {
                    return Err(PolicyError::DuplicateApprover { address: a.clone() });
                }
                if !owners.iter().any(|o| o == a) {
                    return Err(PolicyError::NotAnOwner { address: a.clone() });
                }
                named.push(a.clone());
                Ok(())
            }
            Policy::Owners { .. } => Ok(()),
            Policy::AnyOf { threshold, of } => {
                Self::validate_list(of, owners, named)?;
                let max = of.len() as u32;
                if *threshold == 0 || *threshold > max {
                    return Err(PolicyError::ThresholdOutOfRange {
                        threshold: *threshold,
                        max,
                    });
                }
                Ok(())
            }
            Policy::AllOf(of) => Self::validate_list(of, owners, named),
        }
    }

    fn validate_list(
        of: &[Policy],
        owners: &[String],
        named: &mut Vec<String>,
    ) -> Result<(), PolicyError> {
        if of.is_empty() {
            return Err(PolicyError::EmptyList);
        }
        of.iter().try_for_each(|p| p.validate_node(owners, named))
    }

    /// The `owners` leaf's threshold must be reachable by the `unnamed` owners it counts.
    fn validate_owners_leaf(&self, unnamed: u32) -> Result<(), PolicyError> {
        match self {
            Policy::Approver(_) => Ok(()),
            Policy::Owners { threshold } => {
                let t = threshold.unwrap_or(1);
                if t == 0 || t > unnamed {
                    return Err(PolicyError::ThresholdOutOfRange {
                        threshold: t,
                        max: unnamed,
                    });
                }
                Ok(())
            }
            Policy::AnyOf { of, .. } | Policy::AllOf(of) => {
                of.iter().try_for_each(|p| p.validate_owners_leaf(unnamed))
            }
        }
    }
}
