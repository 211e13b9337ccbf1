//! Workspace contract: workspaces, owners, child workspaces, admin and sign policies, admin actions.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::Addr;
use mpc_policy::{Evaluation, Policy};

use crate::InboxCursor;

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
/// Longest an admin action may stay open, in blocks (the config's default and every proposal's
/// `timeout_blocks` are bounded by it).
pub const MAX_ACTION_TIMEOUT_BLOCKS: u64 = 100_000;
/// Most keys of one workspace that may have their own sign policy.
pub const MAX_KEY_POLICIES: usize = 32;

/// The execute response `data` (JSON) of `CreateWorkspace` and `CreateChildWorkspace`.
#[cw_serde]
pub struct WorkspaceCreated {
    pub workspace_id: u64,
}

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
    /// A rejection only ever rejects: it never executes an action that a policy change left
    /// satisfied (`ExecuteAction` does).
    RejectAction { action_id: u64 },
    /// Execute an open action that the admin policy in force is met for, by the votes that
    /// count (permissionless, as cw3's `Execute`): for an action that a policy change alone
    /// satisfied, which no vote would otherwise settle.
    ExecuteAction { action_id: u64 },
    /// The proposer withdraws its open action: it ends `rejected`.
    CancelAction { action_id: u64 },
    /// Settle overdue admin actions as expired (permissionless, 1 to `MAX_EXPIRE_BATCH` ids).
    /// All or nothing: if any id is unknown, already final or not yet overdue, the whole batch
    /// is refused with an error naming that id.
    ExpireActions { action_ids: Vec<u64> },
    /// The contract's admin on the chain changes the default action timeout (actions already
    /// proposed keep theirs).
    UpdateConfig { action_timeout_blocks: Option<u64> },
}

/// Migrating to new code may change the config as `ExecuteMsg::UpdateConfig` does (`{}` changes
/// nothing).
#[cw_serde]
#[derive(Default)]
pub struct MigrateMsg {
    pub action_timeout_blocks: Option<u64>,
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
    /// Gives key `key_id` of this workspace its own sign policy, which overrides the workspace's
    /// for that key; `None` removes it (the key follows the workspace's sign policy again). The
    /// key id is not checked against the keyring: the signature-requests contract asks for the
    /// policy of a key under the key's own workspace, so a policy stored under another
    /// workspace's key id is never used. At most `MAX_KEY_POLICIES` per workspace.
    SetKeyPolicy {
        key_id: u64,
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
    /// The sign policy in force for `key_id` (the key's own, set with `SetKeyPolicy`), or
    /// without a key policy the workspace's (explicit, or the "any one owner" default), and the
    /// current owners it refers to. What the signature-requests contract evaluates approvals by.
    #[returns(SignPolicyResponse)]
    SignPolicy {
        workspace_id: u64,
        key_id: Option<u64>,
    },
    /// The keys of a workspace that have their own sign policy, in key id order.
    #[returns(KeyPoliciesResponse)]
    KeyPolicies {
        workspace_id: u64,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(AdminActionResponse)]
    Action { action_id: u64 },
    /// Without `status`: the workspace's actions in id order. With `status` (as seen now, so
    /// overdue pending actions count as `Expired`): in deadline order (`deadline_height`, then id).
    /// `start_after` is always an action id.
    #[returns(AdminActionsResponse)]
    ActionsByWorkspace {
        workspace_id: u64,
        status: Option<AdminActionStatus>,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// Open actions that `approver` may still approve or reject ("needs your approval") under
    /// the admin policy and owners in force now, however they became eligible: computed at
    /// query time over the approver's workspaces, in workspace id order, then soonest deadline
    /// first. Overdue actions are never listed. A page reads at most `MAX_INBOX_SCAN` entries;
    /// continue from `next` until it is `None`.
    #[returns(ActionsAwaitingApproverResponse)]
    ActionsAwaitingApprover {
        approver: String,
        start_after: Option<InboxCursor>,
        limit: Option<u32>,
    },
}

#[cw_serde]
pub struct ConfigResponse {
    pub action_timeout_blocks: u64,
}

/// A workspace: what the workspace contract stores, and what `QueryMsg::Workspace` returns as
/// is.
// Field names and order are the contract's storage layout: add fields only with a migration.
#[cw_serde]
#[schemars(rename = "WorkspaceResponse")]
pub struct Workspace {
    pub id: u64,
    pub creator: Addr,
    /// Insertion order (creator first); at most `MAX_OWNERS`.
    pub owners: Vec<Addr>,
    /// Each owner's membership, in `owners` order (see `SignPolicyResponse::memberships`).
    pub memberships: Vec<u64>,
    /// `None`: the default, "any one owner".
    pub admin_policy: Option<Policy>,
    /// `None`: the default, "any one owner".
    pub sign_policy: Option<Policy>,
    pub alias: Option<String>,
    pub parent_id: Option<u64>,
    /// At most `MAX_CHILDREN`.
    pub children: Vec<u64>,
    pub created_height: u64,
}

/// What `QueryMsg::Workspace` returns: the stored [`Workspace`] (the schema's name for it).
pub type WorkspaceResponse = Workspace;

impl Workspace {
    pub fn is_owner(&self, address: &Addr) -> bool {
        self.owners.contains(address)
    }

    pub fn owner_strings(&self) -> Vec<String> {
        self.owners.iter().map(Addr::to_string).collect()
    }

    /// `address`'s current membership, if it is an owner.
    pub fn membership(&self, address: &Addr) -> Option<u64> {
        membership_of(&self.owners, &self.memberships, address)
    }

    /// Makes `owner` an owner under `membership` (the admin action adding them).
    pub fn add_owner(&mut self, owner: Addr, membership: u64) {
        self.owners.push(owner);
        self.memberships.push(membership);
    }

    /// Ends `owner`'s membership.
    pub fn remove_owner(&mut self, owner: &Addr) {
        if let Some(index) = self.owners.iter().position(|o| o == owner) {
            self.owners.remove(index);
            self.memberships.remove(index);
        }
    }

    pub fn effective_admin_policy(&self) -> Policy {
        self.admin_policy.clone().unwrap_or_else(Policy::any_owner)
    }

    pub fn effective_sign_policy(&self) -> Policy {
        self.sign_policy.clone().unwrap_or_else(Policy::any_owner)
    }
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
    /// The effective policy: the key's own, else the workspace's own, else "any one owner".
    pub policy: Policy,
    /// Whether `policy` is the key's own policy.
    pub key_policy: bool,
    /// The current owners.
    pub owners: Vec<Addr>,
    /// Each owner's membership, in `owners` order: the id of the admin action that made them an
    /// owner, 0 for the workspace's first owners. A vote is cast under the voter's membership and
    /// counts only while it lasts: removing an owner ends it, and adding the address again
    /// starts a new one, so what it voted before never counts again.
    pub memberships: Vec<u64>,
}

impl SignPolicyResponse {
    /// `address`'s current membership, if it is an owner.
    pub fn membership(&self, address: &Addr) -> Option<u64> {
        membership_of(&self.owners, &self.memberships, address)
    }
}

/// The membership of `address` among `owners` (with their `memberships`, in the same order).
pub fn membership_of(owners: &[Addr], memberships: &[u64], address: &Addr) -> Option<u64> {
    let index = owners.iter().position(|owner| owner == address)?;
    memberships.get(index).copied()
}

#[cw_serde]
pub struct KeyPolicy {
    pub key_id: u64,
    pub policy: Policy,
}

#[cw_serde]
pub struct KeyPoliciesResponse {
    pub key_policies: Vec<KeyPolicy>,
}

#[cw_serde]
pub struct AdminActionResponse {
    pub id: u64,
    pub workspace_id: u64,
    pub proposer: Addr,
    pub action: AdminAction,
    /// As seen now: an overdue pending action reads as `Expired`.
    pub status: AdminActionStatus,
    /// While pending, the votes that count: cast by current owners under their current
    /// membership (a vote of an owner removed since, or removed and added again, is left out).
    /// Once final, the votes it was settled with.
    pub approvals: Vec<Addr>,
    pub rejections: Vec<Addr>,
    pub created_height: u64,
    /// The last height at which the action can be voted on or executed; after it, an action
    /// still pending reads as expired.
    pub deadline_height: u64,
    /// The evaluation by the admin policy and owners in force now (live: a removed owner's vote
    /// no longer counts, a changed admin policy applies to open actions).
    pub evaluation: Evaluation,
}

#[cw_serde]
pub struct AdminActionsResponse {
    pub actions: Vec<AdminActionResponse>,
}

#[cw_serde]
pub struct ActionsAwaitingApproverResponse {
    pub actions: Vec<AdminActionResponse>,
    /// Where the next page starts; `None` once every workspace of the approver has been read.
    pub next: Option<InboxCursor>,
}

/// The workspace contract at an address, with typed queries (in the manner of cw-plus'
/// `Cw4Contract`): what the other contracts call instead of raw smart queries.
#[cw_serde]
pub struct WorkspaceContract(pub cosmwasm_std::Addr);

impl WorkspaceContract {
    pub fn addr(&self) -> &cosmwasm_std::Addr {
        &self.0
    }

    /// The sign policy in force for `key_id` (its own, else the workspace's) and the workspace's
    /// current owners.
    pub fn sign_policy(
        &self,
        querier: &cosmwasm_std::QuerierWrapper,
        workspace_id: u64,
        key_id: Option<u64>,
    ) -> cosmwasm_std::StdResult<SignPolicyResponse> {
        querier.query_wasm_smart(
            &self.0,
            &QueryMsg::SignPolicy {
                workspace_id,
                key_id,
            },
        )
    }

    /// Up to `limit` ids of the workspaces `owner` owns, from workspace `from` on (inclusive),
    /// in id order.
    pub fn workspaces_of(
        &self,
        querier: &cosmwasm_std::QuerierWrapper,
        owner: &cosmwasm_std::Addr,
        from: Option<u64>,
        limit: u32,
    ) -> cosmwasm_std::StdResult<Vec<u64>> {
        // Only the ids are read: the rest of each workspace is skipped, not parsed (a contract
        // parsing whole workspaces carries that code in its wasm).
        #[derive(serde::Deserialize)]
        struct Ids {
            workspaces: Vec<Id>,
        }
        #[derive(serde::Deserialize)]
        struct Id {
            id: u64,
        }
        let response: Ids = querier.query_wasm_smart(
            &self.0,
            &QueryMsg::WorkspacesByOwner {
                owner: owner.to_string(),
                start_after: from.and_then(|from| from.checked_sub(1)),
                limit: Some(limit),
            },
        )?;
        Ok(response.workspaces.into_iter().map(|w| w.id).collect())
    }

    pub fn is_owner(
        &self,
        querier: &cosmwasm_std::QuerierWrapper,
        workspace_id: u64,
        address: &cosmwasm_std::Addr,
    ) -> cosmwasm_std::StdResult<bool> {
        let response: IsOwnerResponse = querier.query_wasm_smart(
            &self.0,
            &QueryMsg::IsOwner {
                workspace_id,
                address: address.to_string(),
            },
        )?;
        Ok(response.is_owner)
    }
}
