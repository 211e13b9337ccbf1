//! Workspace contract: workspaces, owners, child workspaces, admin and sign policies, admin actions.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::Addr;
use mpc_policy::{Evaluation, Policy};

/// Most owners a workspace may have.
pub const MAX_OWNERS: usize = 20;
/// Most children a workspace may have.
pub const MAX_CHILDREN: usize = 20;
/// Longest alias, in bytes.
pub const MAX_ALIAS_LEN: usize = 64;
/// Most admin actions one `ExpireActions` settles.
pub const MAX_EXPIRE_BATCH: usize = 30;
/// Default of `InstantiateMsg::action_timeout_blocks`.
pub const DEFAULT_ACTION_TIMEOUT_BLOCKS: u64 = 10_000;

#[cw_serde]
pub struct InstantiateMsg {
    /// Blocks an admin action stays open for approvals before it expires (default 10_000).
    pub action_timeout_blocks: Option<u64>,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Create a workspace owned by the sender plus `additional_owners`. Policies default to
    /// "any one owner"; their members must be owners.
    CreateWorkspace {
        additional_owners: Vec<String>,
        admin_policy: Option<Policy>,
        sign_policy: Option<Policy>,
        alias: Option<String>,
    },
    /// Create a workspace under `parent_id` (sender must own the parent). The child starts with
    /// the parent's owners and policies.
    CreateChildWorkspace {
        parent_id: u64,
        alias: Option<String>,
    },
    /// Make the existing workspace `child_id` a child of `parent_id` (sender owns both).
    AppendChildWorkspace { parent_id: u64, child_id: u64 },
    /// Propose a change to a workspace. The proposer's approval counts; if the admin policy is
    /// then satisfied the action executes at once.
    ProposeAction {
        workspace_id: u64,
        action: AdminAction,
        /// Blocks the action stays open; default from the contract's config.
        timeout_blocks: Option<u64>,
    },
    /// Approve an open admin action; executes it when the admin policy becomes satisfied.
    ApproveAction { action_id: u64 },
    /// Reject an open admin action; it is rejected when the admin policy becomes unsatisfiable.
    RejectAction { action_id: u64 },
    /// Settle overdue admin actions as expired (permissionless, 1 to `MAX_EXPIRE_BATCH` ids).
    /// All or nothing: if any id is unknown, already final or not yet overdue, the whole batch
    /// is refused with an error naming that id.
    ExpireActions { action_ids: Vec<u64> },
}

/// Changes to a workspace that go through the admin policy.
#[cw_serde]
pub enum AdminAction {
    AddOwner {
        owner: String,
    },
    RemoveOwner {
        owner: String,
    },
    /// `None` restores the default ("any one owner").
    SetAdminPolicy {
        policy: Option<Policy>,
    },
    /// `None` restores the default ("any one owner").
    SetSignPolicy {
        policy: Option<Policy>,
    },
    SetAlias {
        alias: Option<String>,
    },
}

#[cw_serde]
#[derive(Copy, Eq, Hash)]
pub enum AdminActionStatus {
    Pending,
    Executed,
    Rejected,
    Expired,
}

impl AdminActionStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            AdminActionStatus::Pending => "pending",
            AdminActionStatus::Executed => "executed",
            AdminActionStatus::Rejected => "rejected",
            AdminActionStatus::Expired => "expired",
        }
    }

    pub fn is_final(&self) -> bool {
        !matches!(self, AdminActionStatus::Pending)
    }
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(WorkspaceResponse)]
    Workspace { workspace_id: u64 },
    #[returns(WorkspacesResponse)]
    Workspaces {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// Workspaces that `owner` owns, over an index.
    #[returns(WorkspacesResponse)]
    WorkspacesByOwner {
        owner: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// Whether `address` is an owner of the workspace (what the other contracts ask).
    #[returns(IsOwnerResponse)]
    IsOwner { workspace_id: u64, address: String },
    /// The sign policy in force (explicit, or the "any one owner" default) and the owners it
    /// refers to.
    #[returns(SignPolicyResponse)]
    SignPolicy { workspace_id: u64 },
    #[returns(AdminActionResponse)]
    Action { action_id: u64 },
    /// Without `status`: the workspace's actions in id order. With `status` (as seen now, so
    /// overdue pending actions count as `Expired`): in deadline order (`expires_height`, then id).
    /// `start_after` is always an action id.
    #[returns(AdminActionsResponse)]
    ActionsByWorkspace {
        workspace_id: u64,
        status: Option<AdminActionStatus>,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// Open actions that `approver` may still approve or reject ("needs your approval"), soonest
    /// deadline first; `start_after` is an action id. Overdue actions are never listed.
    #[returns(AdminActionsResponse)]
    ActionsAwaitingApprover {
        approver: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
}

#[cw_serde]
pub struct ConfigResponse {
    pub action_timeout_blocks: u64,
}

#[cw_serde]
pub struct WorkspaceResponse {
    pub id: u64,
    pub creator: Addr,
    pub owners: Vec<Addr>,
    /// `None`: the default, "any one owner".
    pub admin_policy: Option<Policy>,
    /// `None`: the default, "any one owner".
    pub sign_policy: Option<Policy>,
    pub alias: Option<String>,
    pub parent_id: Option<u64>,
    pub children: Vec<u64>,
    pub created_height: u64,
}

#[cw_serde]
pub struct WorkspacesResponse {
    pub workspaces: Vec<WorkspaceResponse>,
}

#[cw_serde]
pub struct IsOwnerResponse {
    pub is_owner: bool,
}

#[cw_serde]
pub struct SignPolicyResponse {
    pub workspace_id: u64,
    /// The effective policy: the workspace's own, or "any one owner".
    pub policy: Policy,
    pub owners: Vec<Addr>,
}

#[cw_serde]
pub struct AdminActionResponse {
    pub id: u64,
    pub workspace_id: u64,
    pub proposer: Addr,
    pub action: AdminAction,
    /// As seen now: an overdue pending action reads as `Expired`.
    pub status: AdminActionStatus,
    pub approvals: Vec<Addr>,
    pub rejections: Vec<Addr>,
    pub created_height: u64,
    pub expires_height: u64,
    /// The admin policy's current evaluation (frozen at the policy of the proposal time).
    pub evaluation: Evaluation,
}

#[cw_serde]
pub struct AdminActionsResponse {
    pub actions: Vec<AdminActionResponse>,
}
