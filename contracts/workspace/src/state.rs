//! Storage: workspaces, admin actions, and the indexes every list query pages over.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, StdResult, Storage};
use cw_storage_plus::{Item, Map};
use mpc_contract_kit::awaiting::Inbox;
use mpc_contract_kit::deadline_list::Position;
use mpc_contract_kit::lifecycle::{self, Deadline, LifecycleError};
use mpc_interfaces::workspace::{AdminAction, AdminActionStatus};
use mpc_policy::{Ballots, Evaluation, Policy};

use crate::error::{ContractError, ContractResult};

#[cw_serde]
pub struct Config {
    pub action_timeout_blocks: u64,
}

#[cw_serde]
pub struct Workspace {
    pub creator: Addr,
    /// Insertion order (creator first); at most `MAX_OWNERS`.
    pub owners: Vec<Addr>,
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

impl Workspace {
    pub fn is_owner(&self, address: &Addr) -> bool {
        self.owners.contains(address)
    }

    pub fn owner_strings(&self) -> Vec<String> {
        self.owners.iter().map(Addr::to_string).collect()
    }

    pub fn effective_admin_policy(&self) -> Policy {
        self.admin_policy.clone().unwrap_or_else(Policy::any_owner)
    }

    pub fn effective_sign_policy(&self) -> Policy {
        self.sign_policy.clone().unwrap_or_else(Policy::any_owner)
    }
}

/// An admin action as stored. Votes are judged live: every vote, and the execution, go by the
/// workspace's admin policy and owners in force at that moment. `admin_policy` and `owners` record
/// what the last evaluation (the proposal or the latest vote) used; the awaiting-approver index
/// lists exactly the approvers that evaluation was still waiting for.
#[cw_serde]
pub struct ActionRecord {
    pub workspace_id: u64,
    pub proposer: Addr,
    pub action: AdminAction,
    /// The stored status. An overdue `Pending` action reads as `Expired` (see `status_at`).
    pub status: AdminActionStatus,
    pub admin_policy: Policy,
    pub owners: Vec<String>,
    pub approvals: Vec<String>,
    pub rejections: Vec<String>,
    pub created_height: u64,
    /// The last height at which the action can be voted on or executed.
    pub deadline: Deadline,
}

impl ActionRecord {
    /// Where action `id` (this record) sits in the deadline-ordered indexes.
    pub fn position(&self, id: u64) -> Position {
        (self.deadline.height(), id)
    }

    /// The status as every execute and query must see it at `height`.
    pub fn status_at(&self, height: u64) -> AdminActionStatus {
        lifecycle::status_at(self.status, self.deadline, height)
    }

    /// Refuses votes on an action that is final, or overdue (it reads as expired).
    pub fn ensure_open(
        &self, id: u64, height: u64,
    ) -> Result<(), LifecycleError<AdminActionStatus>> {
        lifecycle::ensure_open(id, self.status, self.deadline, height)
    }

    pub fn has_voted(&self, address: &str) -> bool {
        self.approvals.iter().any(|a| a == address) || self.rejections.iter().any(|r| r == address)
    }

    /// Takes the admin policy and owners in force now, for the next evaluation.
    pub fn refresh(&mut self, workspace: &Workspace) {
        self.admin_policy = workspace.effective_admin_policy();
        self.owners = workspace.owner_strings();
    }

    /// Evaluation by the recorded policy and owners (see [`refresh`](Self::refresh)).
    pub fn evaluate(&self) -> Evaluation {
        self.admin_policy.evaluate(&Ballots {
            owners: &self.owners,
            approvals: &self.approvals,
            rejections: &self.rejections,
        })
    }
}

pub const CONFIG: Item<Config> = Item::new("config");

pub const WORKSPACES: Map<u64, Workspace> = Map::new("workspaces");
/// (owner, workspace_id): the workspaces an address owns.
pub const WORKSPACES_BY_OWNER: Map<(&Addr, u64), ()> = Map::new("workspaces_by_owner");

/// (workspace_id, key_id) -> the key's own sign policy, at most `MAX_KEY_POLICIES` per workspace.
pub const KEY_POLICIES: Map<(u64, u64), Policy> = Map::new("key_policies");

pub const ACTIONS: Map<u64, ActionRecord> = Map::new("actions");
/// (workspace_id, action_id): every action of a workspace, in id order.
pub const ACTIONS_BY_WORKSPACE: Map<(u64, u64), ()> = Map::new("actions_by_workspace");

/// (workspace_id, deadline height, action_id), one map per stored status. Keyed by deadline so the
/// overdue `Pending` actions (which read as `Expired`) form a contiguous range that a query can
/// skip or select with a bound instead of filtering entry by entry.
const ACTIONS_PENDING: Map<(u64, u64, u64), ()> = Map::new("actions_pending");
const ACTIONS_EXECUTED: Map<(u64, u64, u64), ()> = Map::new("actions_executed");
const ACTIONS_REJECTED: Map<(u64, u64, u64), ()> = Map::new("actions_rejected");
const ACTIONS_EXPIRED: Map<(u64, u64, u64), ()> = Map::new("actions_expired");

/// (approver's canonical address, deadline height, action_id): open actions an eligible approver has not voted on.
/// Deadline-keyed for the same reason as the status indexes.
pub const AWAITING_APPROVER: Inbox<()> = Map::new("awaiting_approver");

/// The index holding the actions whose stored status is `status`.
pub fn status_index(status: AdminActionStatus) -> Map<(u64, u64, u64), ()> {
    match status {
        AdminActionStatus::Pending => ACTIONS_PENDING,
        AdminActionStatus::Executed => ACTIONS_EXECUTED,
        AdminActionStatus::Rejected => ACTIONS_REJECTED,
        AdminActionStatus::Expired => ACTIONS_EXPIRED,
    }
}

/// Saves a new action and puts it in the workspace and status indexes.
pub fn insert_action(storage: &mut dyn Storage, id: u64, action: &ActionRecord) -> StdResult<()> {
    ACTIONS.save(storage, id, action)?;
    ACTIONS_BY_WORKSPACE.save(storage, (action.workspace_id, id), &())?;
    status_index(action.status).save(
        storage,
        (action.workspace_id, action.deadline.height(), id),
        &(),
    )
}

/// Saves an existing action whose stored status was `previous`, moving it between status indexes.
pub fn update_action(
    storage: &mut dyn Storage, id: u64, previous: AdminActionStatus, action: &ActionRecord,
) -> StdResult<()> {
    ACTIONS.save(storage, id, action)?;
    if previous != action.status {
        let key = (action.workspace_id, action.deadline.height(), id);
        status_index(previous).remove(storage, key);
        status_index(action.status).save(storage, key, &())?;
    }
    Ok(())
}

pub fn load_workspace(storage: &dyn Storage, workspace_id: u64) -> ContractResult<Workspace> {
    WORKSPACES
        .may_load(storage, workspace_id)?
        .ok_or(ContractError::WorkspaceNotFound { workspace_id })
}

/// Every key policy of a workspace (at most `MAX_KEY_POLICIES`), in key id order.
pub fn key_policies(storage: &dyn Storage, workspace_id: u64) -> StdResult<Vec<(u64, Policy)>> {
    KEY_POLICIES
        .prefix(workspace_id)
        .range(storage, None, None, cosmwasm_std::Order::Ascending)
        .collect()
}

pub fn load_action(storage: &dyn Storage, action_id: u64) -> ContractResult<ActionRecord> {
    ACTIONS.may_load(storage, action_id)?.ok_or(ContractError::ActionNotFound { action_id })
}
