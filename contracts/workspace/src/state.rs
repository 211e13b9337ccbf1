//! Storage: workspaces, admin actions, and the indexes every list query pages over. Every map
//! has a one-letter namespace: each key byte costs 30 gas a write and 3 a read.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, StdResult, Storage};
use cw_storage_plus::{Item, Map};
use mpc_contract_kit::deadline_list::StatusIndex;
use mpc_contract_kit::lifecycle::{Deadline, Record, Standing};
use mpc_contract_kit::votes::{Ballot, Counted, InForce};
use mpc_interfaces::workspace::{AdminAction, AdminActionStatus};
use mpc_policy::Policy;
use serde::{Deserialize, Serialize};

use crate::error::{ContractError, ContractResult};

#[cw_serde]
pub struct Config {
    pub action_timeout_blocks: u64,
}

/// Workspaces are stored as the interface's type: queries return them as stored.
pub use mpc_interfaces::workspace::Workspace;

/// The policy `policy` (the workspace's admin policy, or a sign policy) with the workspace's
/// owners and memberships in force.
pub fn in_force<'a>(workspace: &'a Workspace, policy: &'a Policy) -> InForce<'a> {
    InForce { policy, owners: &workspace.owners, memberships: &workspace.memberships }
}

/// A vote on an admin action as stored: the voter, and the ballot with the membership it was
/// cast under.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CastVote {
    #[serde(rename = "v")]
    pub voter: Addr,
    #[serde(rename = "b")]
    pub ballot: Ballot,
}

/// An admin action as stored. Votes are judged live: every vote, and the execution, go by the
/// workspace's admin policy and owners in force at that moment, counting only the votes cast
/// under a membership that still holds (see `mpc_contract_kit::votes`). One-letter names: the
/// record is written at every vote and read for every entry of an approver's inbox.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ActionRecord {
    #[serde(rename = "w")]
    pub workspace_id: u64,
    #[serde(rename = "p")]
    pub proposer: Addr,
    /// The proposer's membership when proposing: the action can take effect only while it
    /// holds.
    #[serde(rename = "m", default, skip_serializing_if = "is_zero")]
    pub proposer_membership: u64,
    #[serde(rename = "a")]
    pub action: AdminAction,
    /// The stored status. An overdue `Pending` action reads as `Expired` (see `Record`).
    #[serde(rename = "s")]
    pub status: AdminActionStatus,
    /// Every vote cast and not yet found voided, the proposer's approval first.
    #[serde(rename = "v")]
    pub votes: Vec<CastVote>,
    #[serde(rename = "h")]
    pub created_height: u64,
    /// The last height at which the action can be voted on or executed.
    #[serde(rename = "d")]
    pub deadline: Deadline,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// An admin action as the contract works with it: its id and its record.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    pub id: u64,
    pub record: ActionRecord,
}

impl Record for Action {
    type Status = AdminActionStatus;

    fn standing(&self) -> Standing<AdminActionStatus> {
        Standing { id: self.id, stored: self.record.status, deadline: self.record.deadline }
    }
}

impl Action {
    /// The votes sorted by the membership in force in `workspace` (its admin policy given).
    pub fn counted(&self, in_force: &InForce) -> Counted {
        let record = &self.record;
        Counted::sort(
            in_force,
            (&record.proposer, record.proposer_membership),
            record.votes.iter().map(|v| (&v.voter, v.ballot)),
        )
    }

    /// The votes as cast (for an action that has moved on).
    pub fn as_cast(&self) -> Counted {
        Counted::as_cast(self.record.votes.iter().map(|v| (&v.voter, v.ballot)))
    }

    /// Drops the votes `counted` found voided (the caller saves the action).
    pub fn drop_voided(&mut self, counted: &Counted) {
        self.record.votes.retain(|v| !counted.voided.contains(&v.voter));
    }

    /// Stores a new action and its index entries.
    pub fn create(&self, storage: &mut dyn Storage) -> StdResult<()> {
        ACTIONS.save(storage, self.id, &self.record)?;
        ACTIONS_BY_WORKSPACE.save(storage, (self.record.workspace_id, self.id), &())?;
        BY_STATUS.insert_record(storage, self.record.workspace_id, self)
    }

    /// Saves the action after `change`, moving its status entry to match.
    pub fn save_with(
        &mut self, storage: &mut dyn Storage, change: impl FnOnce(&mut ActionRecord),
    ) -> StdResult<()> {
        BY_STATUS.track(storage, self.record.workspace_id, self, |storage, action| {
            change(&mut action.record);
            ACTIONS.save(storage, action.id, &action.record)
        })
    }
}

pub const CONFIG: Item<Config> = Item::new("config");

pub const WORKSPACES: Map<u64, Workspace> = Map::new("w");
/// (owner, workspace_id): the workspaces an address owns.
pub const WORKSPACES_BY_OWNER: Map<(&Addr, u64), ()> = Map::new("o");

/// (workspace_id, key_id) -> the key's own sign policy, at most `MAX_KEY_POLICIES` per workspace.
pub const KEY_POLICIES: Map<(u64, u64), Policy> = Map::new("p");

pub const ACTIONS: Map<u64, ActionRecord> = Map::new("a");
/// (workspace_id, action_id): every action of a workspace, in id order.
pub const ACTIONS_BY_WORKSPACE: Map<(u64, u64), ()> = Map::new("b");

/// ((workspace_id, stored status), deadline height, action_id): keyed by deadline so the overdue
/// `Pending` actions (which read as `Expired`) form a contiguous range that a query can skip or
/// select with a bound instead of filtering entry by entry (see `mpc_contract_kit::deadline_list`).
pub const BY_STATUS: StatusIndex = StatusIndex::new("s");

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

pub fn load_action(storage: &dyn Storage, action_id: u64) -> ContractResult<Action> {
    let record =
        ACTIONS.may_load(storage, action_id)?.ok_or(ContractError::ActionNotFound { action_id })?;
    Ok(Action { id: action_id, record })
}
