//! The votes' property: random sequences over two workspaces that the same accounts own —
//! owners removed and added again, sign policies tightened and loosened, requests, approvals,
//! rejections, `execute` and `cancel` — checked after every step against a model of its own
//! (`mpc_testing::vote_model`: thresholds over its own member list, not the contracts' policy
//! evaluation):
//! - a request's status is the model's: `pending` only when the policy in force is met by the
//!   votes of current owners cast under their current membership, with its requester still a
//!   member; a rejection never makes it `pending`;
//! - every owner who may vote and has not finds each open request in their inbox, paged a few
//!   at a time across both workspaces, and nothing else is listed.

use cosmwasm_std::Addr;
use mpc_interfaces::signature_requests::{ExecuteMsg, SignRequestStatus};
use mpc_interfaces::workspace::AdminAction;
use mpc_interfaces::{KeyType, Policy};
use mpc_testing::vote_model::{Ballot, Members};
use proptest::prelude::*;

use crate::suite::*;

const ACCOUNTS: usize = 4;
const WORKSPACES: usize = 2;

#[derive(Debug, Clone)]
enum Op {
    AddOwner { ws: usize, who: usize },
    RemoveOwner { ws: usize, who: usize },
    SetThreshold { ws: usize, threshold: u32 },
    Request { ws: usize, requester: usize },
    Approve { voter: usize, pick: usize },
    Reject { voter: usize, pick: usize },
    Execute { pick: usize },
    Cancel { sender: usize, pick: usize },
}

fn op() -> impl Strategy<Value = Op> {
    let ws = 0..WORKSPACES;
    let who = 0..ACCOUNTS;
    prop_oneof![
        3 => (ws.clone(), who.clone()).prop_map(|(ws, who)| Op::AddOwner { ws, who }),
        3 => (ws.clone(), who.clone()).prop_map(|(ws, who)| Op::RemoveOwner { ws, who }),
        2 => (ws.clone(), 1..4u32).prop_map(|(ws, threshold)| Op::SetThreshold { ws, threshold }),
        2 => (ws, who.clone()).prop_map(|(ws, requester)| Op::Request { ws, requester }),
        4 => (who.clone(), any::<usize>()).prop_map(|(voter, pick)| Op::Approve { voter, pick }),
        2 => (who.clone(), any::<usize>()).prop_map(|(voter, pick)| Op::Reject { voter, pick }),
        1 => any::<usize>().prop_map(|pick| Op::Execute { pick }),
        1 => (who, any::<usize>()).prop_map(|(sender, pick)| Op::Cancel { sender, pick }),
    ]
}

#[derive(Clone, Debug, PartialEq)]
enum Status {
    Partial,
    Pending,
    Rejected,
}

#[derive(Clone, Debug)]
struct Req {
    ws: usize,
    ballot: Ballot,
    status: Status,
}

struct Model {
    suite: Suite,
    accounts: [Addr; ACCOUNTS],
    workspace_ids: [u64; WORKSPACES],
    keys: [u64; WORKSPACES],
    /// Each workspace, its threshold that of its sign policy.
    ws: [Members; WORKSPACES],
    requests: Vec<Req>,
}

impl Model {
    fn new() -> Self {
        // Any one owner changes a workspace at once (admin policy); signing needs two.
        let mut suite = Suite::with_policy(owners(2));
        let accounts = [&suite.alice, &suite.bob, &suite.carol, &suite.outsider].map(Addr::clone);
        let second = {
            let (alice, bob, carol) = (&accounts[0], &accounts[1], &accounts[2]);
            suite.create_workspace(alice, &[bob, carol], None, owners(2)).unwrap()
        };
        let workspace_ids = [suite.workspace_id, second];
        let keys = workspace_ids.map(|ws| suite.create_key_in(ws, KeyType::EcdsaSecp256k1, None));
        let ws = Members::new([0, 1, 2], 2);
        Model { suite, accounts, workspace_ids, keys, ws: [ws.clone(), ws], requests: vec![] }
    }

    /// One of the last four requests (the likeliest to be open).
    fn pick(&self, pick: usize) -> Option<usize> {
        let count = self.requests.len();
        (count > 0).then(|| count - 1 - pick % count.min(4))
    }

    fn admin(&mut self, ws: usize, action: AdminAction) -> bool {
        // Any current owner proposes (the default admin policy lets one owner act at once).
        let Some(proposer) = self.ws[ws].any() else { return false };
        let workspace = self.suite.workspace.clone();
        let msg = mpc_interfaces::workspace::ExecuteMsg::ProposeAction {
            workspace_id: self.workspace_ids[ws],
            action,
            timeout_blocks: None,
        };
        let sender = self.accounts[proposer].clone();
        self.suite.kit_execute(&workspace, &sender, &msg).is_ok()
    }

    fn awaits(&self, req: &Req, account: usize) -> bool {
        req.status == Status::Partial && req.ballot.awaits(&self.ws[req.ws], account)
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::AddOwner { ws, who } => {
                let owner = self.accounts[who].to_string();
                if self.admin(ws, AdminAction::AddOwner { owner }) {
                    self.ws[ws].add(who);
                }
            }
            Op::RemoveOwner { ws, who } => {
                let owner = self.accounts[who].to_string();
                if self.admin(ws, AdminAction::RemoveOwner { owner }) {
                    self.ws[ws].remove(who);
                }
            }
            Op::SetThreshold { ws, threshold } => {
                if self.admin(ws, AdminAction::SetSignPolicy { policy: owners(threshold) }) {
                    self.ws[ws].threshold = threshold;
                }
            }
            Op::Request { ws, requester } => {
                let sender = self.accounts[requester].clone();
                let msg = Suite::request_msg(self.keys[ws], vec![hash(self.requests.len() as u8)]);
                let accepted = self.suite.execute(&sender, &msg, &Suite::fee()).is_ok();
                let member = self.ws[ws].generation(requester);
                assert_eq!(accepted, member.is_some(), "{op:?}");
                if let Some(generation) = member {
                    let mut req = Req {
                        ws,
                        ballot: Ballot::new(requester, generation),
                        status: Status::Partial,
                    };
                    if req.ballot.tally(&self.ws[ws]).passes {
                        req.status = Status::Pending;
                    }
                    self.requests.push(req);
                }
            }
            Op::Approve { voter, pick } | Op::Reject { voter, pick } => {
                let Some(index) = self.pick(pick) else { return };
                let approve = matches!(op, Op::Approve { .. });
                let sender = self.accounts[voter].clone();
                let request_id = index as u64 + 1;
                let msg = if approve {
                    ExecuteMsg::Approve { request_id }
                } else {
                    ExecuteMsg::Reject { request_id }
                };
                let accepted = self.suite.execute(&sender, &msg, &[]).is_ok();
                let req = &self.requests[index];
                let ws = &self.ws[req.ws];
                let may = req.status == Status::Partial
                    && ws.contains(voter)
                    && !req.ballot.has_voted(ws, voter);
                assert_eq!(accepted, may, "{op:?} on {req:?}");
                if may {
                    let mut req = req.clone();
                    req.ballot = req.ballot.with_vote(ws, voter, approve);
                    let tally = req.ballot.tally(ws);
                    if !tally.can_pass {
                        req.status = Status::Rejected;
                    } else if approve && tally.passes {
                        req.status = Status::Pending;
                    }
                    self.requests[index] = req;
                }
            }
            Op::Execute { pick } => {
                let Some(index) = self.pick(pick) else { return };
                let sender = self.accounts[3].clone();
                let msg = ExecuteMsg::Execute { request_id: index as u64 + 1 };
                let accepted = self.suite.execute(&sender, &msg, &[]).is_ok();
                let req = &self.requests[index];
                let may =
                    req.status == Status::Partial && req.ballot.tally(&self.ws[req.ws]).passes;
                assert_eq!(accepted, may, "{op:?} on {req:?}");
                if may {
                    self.requests[index].status = Status::Pending;
                }
            }
            Op::Cancel { sender, pick } => {
                let Some(index) = self.pick(pick) else { return };
                let account = self.accounts[sender].clone();
                let msg = ExecuteMsg::Cancel { request_id: index as u64 + 1 };
                let accepted = self.suite.execute(&account, &msg, &[]).is_ok();
                let req = &self.requests[index];
                let may = req.status == Status::Partial && req.ballot.author.0 == sender;
                assert_eq!(accepted, may, "{op:?} on {req:?}");
                if may {
                    self.requests[index].status = Status::Rejected;
                }
            }
        }
        self.check();
    }

    fn check(&self) {
        for (index, req) in self.requests.iter().enumerate() {
            let status = self.suite.query_request(index as u64 + 1).status;
            let expected = match req.status {
                Status::Partial => SignRequestStatus::Partial,
                Status::Pending => SignRequestStatus::Pending,
                Status::Rejected => SignRequestStatus::Rejected,
            };
            assert_eq!(status, expected, "request {} ({req:?})", index + 1);
        }
        for (account, address) in self.accounts.iter().enumerate() {
            // Paged two at a time across both workspaces.
            let mut listed = self.suite.inbox(address, Some(2));
            let mut expected: Vec<u64> = (0..self.requests.len())
                .filter(|&i| self.awaits(&self.requests[i], account))
                .map(|i| i as u64 + 1)
                .collect();
            let count = listed.len();
            listed.sort();
            listed.dedup();
            assert_eq!(listed.len(), count, "{address} finds a request twice");
            expected.sort();
            assert_eq!(listed, expected, "inbox of account {account}");
        }
    }
}

fn owners(threshold: u32) -> Option<Policy> {
    Some(Policy::Owners { threshold: Some(threshold) })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn votes_count_only_under_current_membership_and_every_eligible_approver_finds_the_request(
        ops in prop::collection::vec(op(), 1..60)
    ) {
        let mut model = Model::new();
        for op in &ops {
            model.apply(op);
        }
    }
}
