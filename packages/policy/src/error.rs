use thiserror::Error;

/// Why a policy was refused when it was set.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum PolicyError {
    #[error("policy is nested {depth} levels deep; at most {max} are allowed")]
    TooDeep { depth: usize, max: usize },

    #[error("policy has {nodes} nodes; at most {max} are allowed")]
    TooLarge { nodes: usize, max: usize },

    #[error("policy threshold {threshold} is out of range 1..={max}")]
    ThresholdOutOfRange { threshold: u32, max: u32 },

    #[error("policy has an empty list")]
    EmptyList,

    #[error("policy names {address}, who is not an owner of the workspace")]
    NotAnOwner { address: String },

    /// Every approver counts once: an address may appear in one `approver` leaf only.
    #[error("policy names approver {address} twice")]
    DuplicateApprover { address: String },

    /// Every approver counts once: two `owners` leaves would count the same owner twice.
    #[error("policy has {leaves} `owners` leaves; at most one is allowed")]
    OwnersLeafTwice { leaves: usize },
}
