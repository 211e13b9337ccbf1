//! Shared test harness: a cw-multi-test app with the workspace contract, message helpers, and
//! the "refused and nothing changed" assertion every refusal test uses.
#![allow(dead_code)]

use cosmwasm_std::{Addr, Event, StdError, StdResult};
use cw_multi_test::{App, AppResponse, ContractWrapper, Executor};
use mpc_interfaces::workspace::{
    AdminAction, AdminActionResponse, AdminActionStatus, AdminActionsResponse, ConfigResponse,
    ExecuteMsg, InstantiateMsg, QueryMsg, WorkspaceResponse, WorkspacesResponse,
};
use mpc_interfaces::Policy;
use mpc_workspace::ContractError;
use serde::de::DeserializeOwned;

/// Action timeout the suite instantiates with.
pub const TIMEOUT: u64 = 100;

pub struct Suite {
    pub app: App,
    pub code_id: u64,
    pub contract: Addr,
    pub admin: Addr,
}

impl Suite {
    pub fn new() -> Self {
        Self::with_timeout(Some(TIMEOUT)).unwrap()
    }

    pub fn with_timeout(action_timeout_blocks: Option<u64>) -> StdResult<Self> {
        let mut app = App::default();
        let code = ContractWrapper::new(
            mpc_workspace::contract::execute,
            mpc_workspace::contract::instantiate,
            mpc_workspace::contract::query,
        )
        .with_migrate(mpc_workspace::contract::migrate);
        let code_id = app.store_code(Box::new(code));
        let admin = app.api().addr_make("admin");
        let contract = app.instantiate_contract(
            code_id,
            admin.clone(),
            &InstantiateMsg {
                action_timeout_blocks,
            },
            &[],
            "workspace",
            Some(admin.to_string()),
        )?;
        Ok(Suite {
            app,
            code_id,
            contract,
            admin,
        })
    }

    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    pub fn height(&self) -> u64 {
        self.app.block_info().height
    }

    pub fn advance(&mut self, blocks: u64) {
        self.app.update_block(|b| {
            b.height += blocks;
            b.time = b.time.plus_seconds(5 * blocks);
        });
    }

    pub fn execute(&mut self, sender: &Addr, msg: &ExecuteMsg) -> StdResult<AppResponse> {
        let contract = self.contract.clone();
        self.app
            .execute_contract(sender.clone(), contract, msg, &[])
    }

    pub fn query<T: DeserializeOwned>(&self, msg: &QueryMsg) -> StdResult<T> {
        self.app.wrap().query_wasm_smart(&self.contract, msg)
    }

    /// Creates a workspace and returns its id (from the `wasm-workspace` created event).
    pub fn create(
        &mut self,
        sender: &Addr,
        additional_owners: &[&Addr],
        admin_policy: Option<Policy>,
        sign_policy: Option<Policy>,
    ) -> u64 {
        let res = self
            .execute(
                sender,
                &create_msg(additional_owners, admin_policy, sign_policy, None),
            )
            .unwrap();
        event_attr(&res, "wasm-workspace", "created", "workspace_id")
            .parse()
            .unwrap()
    }

    /// Proposes an action and returns its id.
    pub fn propose(
        &mut self,
        sender: &Addr,
        workspace_id: u64,
        action: AdminAction,
        timeout_blocks: Option<u64>,
    ) -> StdResult<u64> {
        let res = self.execute(
            sender,
            &ExecuteMsg::ProposeAction {
                workspace_id,
                action,
                timeout_blocks,
            },
        )?;
        Ok(
            event_attr(&res, "wasm-admin_action", "created", "action_id")
                .parse()
                .unwrap(),
        )
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
        &self,
        workspace_id: u64,
        status: Option<AdminActionStatus>,
        start_after: Option<u64>,
        limit: Option<u32>,
    ) -> Vec<u64> {
        let res: AdminActionsResponse = self
            .query(&QueryMsg::ActionsByWorkspace {
                workspace_id,
                status,
                start_after,
                limit,
            })
            .unwrap();
        res.actions.iter().map(|a| a.id).collect()
    }

    pub fn awaiting(
        &self,
        approver: &Addr,
        start_after: Option<u64>,
        limit: Option<u32>,
    ) -> Vec<u64> {
        let res: AdminActionsResponse = self
            .query(&QueryMsg::ActionsAwaitingApprover {
                approver: approver.to_string(),
                start_after,
                limit,
            })
            .unwrap();
        res.actions.iter().map(|a| a.id).collect()
    }

    pub fn workspaces_by_owner(
        &self,
        owner: &Addr,
        start_after: Option<u64>,
        limit: Option<u32>,
    ) -> Vec<u64> {
        let res: WorkspacesResponse = self
            .query(&QueryMsg::WorkspacesByOwner {
                owner: owner.to_string(),
                start_after,
                limit,
            })
            .unwrap();
        res.workspaces.iter().map(|w| w.id).collect()
    }

    /// Everything a user can read: every workspace, every action of each (all statuses), and
    /// the approval queues and owner index of the usual test accounts.
    pub fn snapshot(&self) -> String {
        let config: ConfigResponse = self.query(&QueryMsg::Config {}).unwrap();
        let mut out = vec![format!("{config:?}")];
        let mut start_after = None;
        loop {
            let page: WorkspacesResponse = self
                .query(&QueryMsg::Workspaces {
                    start_after,
                    limit: Some(100),
                })
                .unwrap();
            let Some(last) = page.workspaces.last() else {
                break;
            };
            start_after = Some(last.id);
            for ws in &page.workspaces {
                out.push(format!("{ws:?}"));
                let actions: AdminActionsResponse = self
                    .query(&QueryMsg::ActionsByWorkspace {
                        workspace_id: ws.id,
                        status: None,
                        start_after: None,
                        limit: Some(100),
                    })
                    .unwrap();
                out.push(format!("{actions:?}"));
            }
        }
        for name in USERS {
            let user = self.addr(name);
            out.push(format!("{:?}", self.awaiting(&user, None, Some(100))));
            out.push(format!(
                "{:?}",
                self.workspaces_by_owner(&user, None, Some(100))
            ));
        }
        out.join("\n")
    }

    /// Sends `msg`, expects exactly `expected`, and checks that nothing readable changed.
    pub fn assert_refused(&mut self, sender: &Addr, msg: &ExecuteMsg, expected: ContractError) {
        let before = self.snapshot();
        let err = self.execute(sender, msg).unwrap_err();
        assert_contract_error(&err, &expected);
        assert_eq!(
            before,
            self.snapshot(),
            "state changed by a refused message"
        );
    }

    /// Like `assert_refused`, for errors whose text comes from the chain API (address
    /// validation): checks that the error mentions `fragment`.
    pub fn assert_refused_with(&mut self, sender: &Addr, msg: &ExecuteMsg, fragment: &str) {
        let before = self.snapshot();
        let err = self.execute(sender, msg).unwrap_err();
        assert!(
            err.to_string().contains(fragment),
            "unexpected error: {err}"
        );
        assert_eq!(
            before,
            self.snapshot(),
            "state changed by a refused message"
        );
    }
}

/// cw-multi-test 3 wraps a contract error's text into a `StdError`; the text comes last.
pub fn assert_contract_error(err: &StdError, expected: &ContractError) {
    let text = err.to_string();
    assert!(
        text.ends_with(&format!("error: {expected}")),
        "expected error `{expected}`, got `{text}`"
    );
}

pub const USERS: [&str; 5] = ["alice", "bob", "carol", "dave", "eve"];

pub fn create_msg(
    additional_owners: &[&Addr],
    admin_policy: Option<Policy>,
    sign_policy: Option<Policy>,
    alias: Option<&str>,
) -> ExecuteMsg {
    ExecuteMsg::CreateWorkspace {
        additional_owners: additional_owners.iter().map(|a| a.to_string()).collect(),
        admin_policy,
        sign_policy,
        alias: alias.map(str::to_string),
    }
}

pub fn approver(address: &Addr) -> Policy {
    Policy::Approver(address.to_string())
}

pub fn owners(threshold: u32) -> Policy {
    Policy::Owners {
        threshold: Some(threshold),
    }
}

/// The custom events of type `ty` (e.g. `wasm-workspace`) whose `action` is `action`.
pub fn events<'a>(res: &'a AppResponse, ty: &str, action: &str) -> Vec<&'a Event> {
    res.events
        .iter()
        .filter(|e| {
            e.ty == ty
                && e.attributes
                    .iter()
                    .any(|a| a.key == "action" && a.value == action)
        })
        .collect()
}

/// Value of attribute `key` on the single `ty` event with the given `action`.
pub fn event_attr(res: &AppResponse, ty: &str, action: &str, key: &str) -> String {
    let found = events(res, ty, action);
    assert_eq!(
        found.len(),
        1,
        "expected one {ty}/{action} event in {:?}",
        res.events
    );
    attr(found[0], key)
}

/// Every value of a repeated attribute, in order.
pub fn attrs(event: &Event, key: &str) -> Vec<String> {
    event
        .attributes
        .iter()
        .filter(|a| a.key == key)
        .map(|a| a.value.clone())
        .collect()
}

pub fn attr(event: &Event, key: &str) -> String {
    event
        .attributes
        .iter()
        .find(|a| a.key == key)
        .unwrap_or_else(|| panic!("no attribute {key} on {event:?}"))
        .value
        .clone()
}
