//! Why a message is refused: the refusals every contract shares (`mpc_contract_kit::contract_error!`),
//! then this contract's own.

use cosmwasm_std::Addr;
use mpc_interfaces::workspace::AdminActionStatus;
use mpc_policy::PolicyError;

mpc_contract_kit::contract_error! {
    status: AdminActionStatus;

    #[error("invalid policy: {0}")]
    Policy(#[from] PolicyError),

    #[error("workspace {workspace_id} not found")]
    WorkspaceNotFound { workspace_id: u64 },

    #[error("admin action {action_id} not found")]
    ActionNotFound { action_id: u64 },

    #[error("{owner} is listed as an owner more than once")]
    DuplicateOwner { owner: String },

    #[error("a workspace may have at most {max} owners")]
    TooManyOwners { max: usize },

    #[error("{owner} is already an owner of workspace {workspace_id}")]
    AlreadyAnOwner { owner: String, workspace_id: u64 },

    /// A workspace always has an owner.
    #[error("cannot remove the last owner of workspace {workspace_id}")]
    LastOwner { workspace_id: u64 },

    #[error("{owner} cannot be removed: the workspace's {policy} policy names them")]
    OwnerNamedInPolicy { owner: String, policy: String },

    #[error("removing {owner} would break the workspace's {policy} policy: {source}")]
    RemovalBreaksPolicy {
        owner: String,
        policy: String,
        source: PolicyError,
    },

    #[error("workspace {workspace_id} already has {max} key policies, the most allowed")]
    TooManyKeyPolicies { workspace_id: u64, max: usize },

    #[error("key {key_id} has no policy of its own in workspace {workspace_id}")]
    NoKeyPolicy { workspace_id: u64, key_id: u64 },

    #[error("alias must not be empty")]
    EmptyAlias,

    #[error("workspace {workspace_id} already has {max} children, the most allowed")]
    TooManyChildren { workspace_id: u64, max: usize },

    #[error("workspace {child_id} already has a parent, workspace {parent_id}")]
    AlreadyHasParent { child_id: u64, parent_id: u64 },

    /// The child is the parent itself, or the root of the parent's tree.
    #[error("appending workspace {child_id} to workspace {parent_id} would make a cycle")]
    Cycle { parent_id: u64, child_id: u64 },

    /// A proposal counts as its proposer's approval, so only an eligible approver may propose.
    #[error("{sender} may not propose: not an approver under workspace {workspace_id}'s admin policy")]
    NotEligibleProposer { sender: Addr, workspace_id: u64 },

}
