//! The workspace tests' helpers: the kit's suite (`mpc-testing`) seen from the workspace
//! contract, with its messages and queries.
#![allow(dead_code, unused_imports)]

use cosmwasm_std::{Addr, StdResult};
use cw_multi_test::AppResponse;
use mpc_interfaces::workspace::{
    ActionsAwaitingApproverResponse, AdminAction, AdminActionResponse, AdminActionStatus,
    AdminActionsResponse, ExecuteMsg, QueryMsg, WorkspaceResponse, WorkspacesResponse,
};
use mpc_interfaces::{InboxCursor, Policy};
use mpc_workspace::ContractError;
use serde::de::DeserializeOwned;

pub use mpc_testing::assert_contract_error;
pub use mpc_testing::create_workspace_msg as create_msg;
pub use mpc_testing::events::{attr, attrs, one_attr, with_action};

/// Action timeout the suite instantiates with.
pub const TIMEOUT: u64 = 100;

pub struct Suite {
    kit: mpc_testing::Suite,
    /// The workspace contract (the one these tests are about).
    pub contract: Addr,
    pub code_id: u64,
}

mpc_testing::extends_kit!(Suite);

impl Suite {
    pub fn new() -> Self {
        Self::with_timeout(Some(TIMEOUT)).unwrap()
    }

    pub fn with_timeout(action_timeout_blocks: Option<u64>) -> StdResult<Self> {
        let kit = mpc_testing::Suite::with(|config| {
            config.action_timeout_blocks = action_timeout_blocks;
        })?;
        Ok(Suite {
            contract: kit.workspace.clone(),
            code_id: kit.deployment.code_ids.workspace,
            kit,
        })
    }

    pub fn execute(&mut self, sender: &Addr, msg: &ExecuteMsg) -> StdResult<AppResponse> {
        let contract = self.contract.clone();
        self.kit.execute(&contract, sender, msg, &[])
    }

    pub fn query<T: DeserializeOwned>(&self, msg: &QueryMsg) -> StdResult<T> {
        self.kit.query(&self.contract, msg)
    }

    /// Creates a workspace with the kit's `create_workspace` and returns its id.
    pub fn create(
        &mut self, sender: &Addr, additional_owners: &[&Addr], admin_policy: Option<Policy>,
        sign_policy: Option<Policy>,
    ) -> u64 {
        self.kit.create_workspace(sender, additional_owners, admin_policy, sign_policy).unwrap()
    }

    /// Proposes an action and returns its id.
    pub fn propose(
        &mut self, sender: &Addr, workspace_id: u64, action: AdminAction,
        timeout_blocks: Option<u64>,
    ) -> StdResult<u64> {
        let res = self
            .execute(sender, &ExecuteMsg::ProposeAction { workspace_id, action, timeout_blocks })?;
        Ok(one_attr(&res, "wasm-admin_action", "created", "action_id").parse().unwrap())
    }

    pub fn approve(&mut self, sender: &Addr, action_id: u64) -> StdResult<AppResponse> {
        self.execute(sender, &ExecuteMsg::ApproveAction { action_id })
    }

    pub fn reject(&mut self, sender: &Addr, action_id: u64) -> StdResult<AppResponse> {
        self.execute(sender, &ExecuteMsg::RejectAction { action_id })
    }

    pub fn workspace(&self, workspace_id: u64) -> WorkspaceResponse {
        self.query(&QueryMsg::Workspace { workspace_id }).unwrap()
    }

    pub fn action(&self, action_id: u64) -> AdminActionResponse {
        self.query(&QueryMsg::Action { action_id }).unwrap()
    }

    pub fn actions(
        &self, workspace_id: u64, status: Option<AdminActionStatus>, start_after: Option<u64>,
        limit: Option<u32>,
    ) -> Vec<u64> {
        let res: AdminActionsResponse = self
            .query(&QueryMsg::ActionsByWorkspace { workspace_id, status, start_after, limit })
            .unwrap();
        res.actions.iter().map(|a| a.id).collect()
    }

    /// The ids in `approver`'s inbox ("awaiting my approval"): the page from `start_after`
    /// alone when a cursor or a limit is given, else every page.
    pub fn awaiting(
        &self, approver: &Addr, start_after: Option<InboxCursor>, limit: Option<u32>,
    ) -> Vec<u64> {
        let (page, next) = self.awaiting_page(approver, start_after, limit);
        if start_after.is_some() || limit.is_some() {
            return page;
        }
        let mut all = page;
        let mut cursor = next;
        while let Some(start_after) = cursor {
            let (page, next) = self.awaiting_page(approver, Some(start_after), None);
            all.extend(page);
            cursor = next;
        }
        all
    }

    /// One page of `approver`'s inbox and where the next starts.
    pub fn awaiting_page(
        &self, approver: &Addr, start_after: Option<InboxCursor>, limit: Option<u32>,
    ) -> (Vec<u64>, Option<InboxCursor>) {
        let res: ActionsAwaitingApproverResponse = self
            .query(&QueryMsg::ActionsAwaitingApprover {
                approver: approver.to_string(),
                start_after,
                limit,
            })
            .unwrap();
        (res.actions.iter().map(|a| a.id).collect(), res.next)
    }

    pub fn workspaces_by_owner(
        &self, owner: &Addr, start_after: Option<u64>, limit: Option<u32>,
    ) -> Vec<u64> {
        let res: WorkspacesResponse = self
            .query(&QueryMsg::WorkspacesByOwner { owner: owner.to_string(), start_after, limit })
            .unwrap();
        res.workspaces.iter().map(|w| w.id).collect()
    }

    /// Sends `msg`, expects exactly `expected`, and checks that nothing changed (the kit's
    /// check, on the workspace contract, without funds).
    pub fn assert_refused(&mut self, sender: &Addr, msg: &ExecuteMsg, expected: ContractError) {
        let contract = self.contract.clone();
        self.kit.assert_refused(&contract, sender, msg, &[], expected);
    }

    /// As `assert_refused`, for errors whose text comes from the chain API (address
    /// validation): the error must mention `fragment`.
    pub fn assert_refused_with(&mut self, sender: &Addr, msg: &ExecuteMsg, fragment: &str) {
        let contract = self.contract.clone();
        self.kit.assert_refused_mentioning(&contract, sender, msg, &[], fragment);
    }
}

pub const USERS: [&str; 5] = ["alice", "bob", "carol", "dave", "eve"];

pub fn approver(address: &Addr) -> Policy {
    Policy::Approver(address.to_string())
}

/// Alice, Bob and Carol own workspace `ws`; Eve owns nothing.
pub struct Three {
    pub suite: Suite,
    pub alice: Addr,
    pub bob: Addr,
    pub carol: Addr,
    pub eve: Addr,
    pub ws: u64,
}

/// Alice, Bob and Carol own a workspace whose admin policy is `admin_policy(alice, bob)` (sign
/// policy: default).
pub fn three_owners_with(admin_policy: impl FnOnce(&Addr, &Addr) -> Option<Policy>) -> Three {
    let mut suite = Suite::new();
    let [alice, bob, carol, eve] = ["alice", "bob", "carol", "eve"].map(|n| suite.addr(n));
    let ws = suite.create(&alice, &[&bob, &carol], admin_policy(&alice, &bob), None);
    Three { suite, alice, bob, carol, eve, ws }
}

pub fn three_owners(admin_policy: Option<Policy>) -> Three {
    three_owners_with(|_, _| admin_policy)
}

pub fn set_alias(alias: &str) -> AdminAction {
    AdminAction::SetAlias { alias: Some(alias.to_string()) }
}

pub fn owners(threshold: u32) -> Policy {
    Policy::Owners { threshold: Some(threshold) }
}
