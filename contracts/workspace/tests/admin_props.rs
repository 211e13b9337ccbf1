//! The admin actions' property: random sequences over two workspaces that the same accounts
//! own — proposals (owners added and removed, the admin policy's threshold changed, an alias),
//! approvals, rejections, `execute_action` and `cancel_action`, owners removed and added again,
//! the policy tightened and loosened — checked after every step against a model of its own
//! (`mpc_testing::vote_model`: a threshold over its own member list, not the contract's policy
//! evaluation):
//! - every message is accepted exactly when the model says it may be, and an action's status is
//!   the model's: executed only when the admin policy in force is met by the votes of current
//!   owners cast under their current membership, with its proposer still a member, and only by
//!   an approval or `execute_action` (a rejection never executes one);
//! - every owner who may vote and has not finds each open action in their inbox, paged two at a
//!   time across both workspaces, and nothing else is listed.

mod common;

use cosmwasm_std::Addr;
use mpc_interfaces::workspace::{AdminAction, AdminActionStatus, ExecuteMsg};
use mpc_interfaces::InboxCursor;
use mpc_testing::vote_model::{Ballot, Members};
use proptest::prelude::*;

use common::*;

const ACCOUNTS: usize = 4;
const WORKSPACES: usize = 2;

/// What an action does, in the model's terms.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Change {
    AddOwner(usize),
    RemoveOwner(usize),
    /// The admin policy becomes "`n` of the owners".
    Threshold(u32),
    Alias,
}

#[derive(Debug, Clone)]
enum Op {
    Propose { ws: usize, proposer: usize, change: Change },
    Approve { voter: usize, pick: usize },
    Reject { voter: usize, pick: usize },
    Execute { pick: usize },
    Cancel { sender: usize, pick: usize },
}

fn change() -> impl Strategy<Value = Change> {
    let who = 0..ACCOUNTS;
    prop_oneof![
        3 => who.clone().prop_map(Change::AddOwner),
        3 => who.prop_map(Change::RemoveOwner),
        2 => (1..4u32).prop_map(Change::Threshold),
        1 => Just(Change::Alias),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0..ACCOUNTS;
    prop_oneof![
        4 => (0..WORKSPACES, who.clone(), change())
            .prop_map(|(ws, proposer, change)| Op::Propose { ws, proposer, change }),
        4 => (who.clone(), any::<usize>()).prop_map(|(voter, pick)| Op::Approve { voter, pick }),
        2 => (who.clone(), any::<usize>()).prop_map(|(voter, pick)| Op::Reject { voter, pick }),
        1 => any::<usize>().prop_map(|pick| Op::Execute { pick }),
        1 => (who, any::<usize>()).prop_map(|(sender, pick)| Op::Cancel { sender, pick }),
    ]
}

/// Whether `change` can be made to the workspace as it is now (what the contract checks when it
/// is proposed, and again when it executes).
fn allows(ws: &Members, change: Change) -> bool {
    let owners = ws.count();
    match change {
        Change::AddOwner(who) => !ws.contains(who),
        Change::RemoveOwner(who) => ws.contains(who) && owners > 1 && ws.threshold < owners,
        Change::Threshold(threshold) => threshold <= owners,
        Change::Alias => true,
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Status {
    Pending,
    Executed,
    Rejected,
}

#[derive(Clone, Debug)]
struct Act {
    ws: usize,
    change: Change,
    ballot: Ballot,
    status: Status,
}

struct Model {
    suite: Suite,
    accounts: [Addr; ACCOUNTS],
    workspace_ids: [u64; WORKSPACES],
    ws: [Members; WORKSPACES],
    /// Action `i` has id `i + 1`.
    actions: Vec<Act>,
}

impl Model {
    fn new() -> Self {
        let mut suite = Suite::new();
        let accounts = ["alice", "bob", "carol", "eve"].map(|name| suite.addr(name));
        let (alice, bob, carol) = (&accounts[0], &accounts[1], &accounts[2]);
        let workspace_ids =
            [(); WORKSPACES].map(|_| suite.create(alice, &[bob, carol], Some(owners(2)), None));
        let ws = Members::new([0, 1, 2], 2);
        Model { suite, accounts, workspace_ids, ws: [ws.clone(), ws], actions: vec![] }
    }

    /// One of the last four actions (the likeliest to be open).
    fn pick(&self, pick: usize) -> Option<usize> {
        let count = self.actions.len();
        (count > 0).then(|| count - 1 - pick % count.min(4))
    }

    fn awaits(&self, act: &Act, account: usize) -> bool {
        act.status == Status::Pending && act.ballot.awaits(&self.ws[act.ws], account)
    }

    /// Makes `act`'s change to its workspace.
    fn take_effect(&mut self, act: &Act) {
        let ws = &mut self.ws[act.ws];
        match act.change {
            Change::AddOwner(who) => ws.add(who),
            Change::RemoveOwner(who) => ws.remove(who),
            Change::Threshold(threshold) => ws.threshold = threshold,
            Change::Alias => {}
        }
    }

    fn action(&self, change: Change) -> AdminAction {
        match change {
            Change::AddOwner(who) => {
                AdminAction::AddOwner { owner: self.accounts[who].to_string() }
            }
            Change::RemoveOwner(who) => {
                AdminAction::RemoveOwner { owner: self.accounts[who].to_string() }
            }
            Change::Threshold(threshold) => {
                AdminAction::SetAdminPolicy { policy: Some(owners(threshold)) }
            }
            Change::Alias => set_alias("renamed"),
        }
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Propose { ws, proposer, change } => {
                let sender = self.accounts[proposer].clone();
                let (workspace_id, action) = (self.workspace_ids[ws], self.action(change));
                let accepted = self.suite.propose(&sender, workspace_id, action, None).is_ok();
                let member = self.ws[ws].generation(proposer);
                let may = member.is_some() && allows(&self.ws[ws], change);
                assert_eq!(accepted, may, "{op:?} with {:?}", self.ws[ws]);
                let Some(generation) = member.filter(|_| may) else { return };
                let mut act = Act {
                    ws,
                    change,
                    ballot: Ballot::new(proposer, generation),
                    status: Status::Pending,
                };
                if act.ballot.tally(&self.ws[ws]).passes {
                    act.status = Status::Executed;
                    self.take_effect(&act);
                }
                self.actions.push(act);
            }
            Op::Approve { voter, pick } | Op::Reject { voter, pick } => {
                let Some(index) = self.pick(pick) else { return };
                let approve = matches!(op, Op::Approve { .. });
                let sender = self.accounts[voter].clone();
                let action_id = index as u64 + 1;
                let accepted = if approve {
                    self.suite.approve(&sender, action_id)
                } else {
                    self.suite.reject(&sender, action_id)
                }
                .is_ok();
                let act = &self.actions[index];
                let ws = &self.ws[act.ws];
                let mut voted = act.clone();
                voted.ballot = act.ballot.with_vote(ws, voter, approve);
                let tally = voted.ballot.tally(ws);
                let executes = tally.can_pass && approve && tally.passes;
                // An execution re-checks the change against the workspace as it is now; a
                // change that no longer fits fails the whole vote.
                let may = act.status == Status::Pending
                    && ws.contains(voter)
                    && !act.ballot.has_voted(ws, voter)
                    && (!executes || allows(ws, act.change));
                assert_eq!(accepted, may, "{op:?} on {act:?} with {ws:?}");
                if !may {
                    return;
                }
                if !tally.can_pass {
                    voted.status = Status::Rejected;
                } else if executes {
                    voted.status = Status::Executed;
                    self.take_effect(&voted);
                }
                self.actions[index] = voted;
            }
            Op::Execute { pick } => {
                let Some(index) = self.pick(pick) else { return };
                let sender = self.accounts[3].clone();
                let msg = ExecuteMsg::ExecuteAction { action_id: index as u64 + 1 };
                let accepted = self.suite.execute(&sender, &msg).is_ok();
                let act = self.actions[index].clone();
                let may = act.status == Status::Pending
                    && act.ballot.tally(&self.ws[act.ws]).passes
                    && allows(&self.ws[act.ws], act.change);
                assert_eq!(accepted, may, "{op:?} on {act:?} with {:?}", self.ws[act.ws]);
                if may {
                    self.actions[index].status = Status::Executed;
                    self.take_effect(&act);
                }
            }
            Op::Cancel { sender, pick } => {
                let Some(index) = self.pick(pick) else { return };
                let account = self.accounts[sender].clone();
                let msg = ExecuteMsg::CancelAction { action_id: index as u64 + 1 };
                let accepted = self.suite.execute(&account, &msg).is_ok();
                let act = &self.actions[index];
                let may = act.status == Status::Pending && act.ballot.author.0 == sender;
                assert_eq!(accepted, may, "{op:?} on {act:?}");
                if may {
                    self.actions[index].status = Status::Rejected;
                }
            }
        }
        self.check();
    }

    fn check(&self) {
        for (index, act) in self.actions.iter().enumerate() {
            let status = self.suite.action(index as u64 + 1).status;
            let expected = match act.status {
                Status::Pending => AdminActionStatus::Pending,
                Status::Executed => AdminActionStatus::Executed,
                Status::Rejected => AdminActionStatus::Rejected,
            };
            assert_eq!(status, expected, "action {} ({act:?})", index + 1);
        }
        for (account, address) in self.accounts.iter().enumerate() {
            let mut listed = self.inbox(address);
            let mut expected: Vec<u64> = (0..self.actions.len())
                .filter(|&i| self.awaits(&self.actions[i], account))
                .map(|i| i as u64 + 1)
                .collect();
            let count = listed.len();
            listed.sort();
            listed.dedup();
            assert_eq!(listed.len(), count, "{address} finds an action twice");
            expected.sort();
            assert_eq!(listed, expected, "inbox of account {account}");
        }
    }

    /// Every page of `approver`'s inbox, two entries at a time.
    fn inbox(&self, approver: &Addr) -> Vec<u64> {
        let mut listed = vec![];
        let mut cursor: Option<InboxCursor> = None;
        loop {
            let (page, next) = self.suite.awaiting_page(approver, cursor, Some(2));
            listed.extend(page);
            match next {
                Some(next) => cursor = Some(next),
                None => return listed,
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn admin_actions_take_effect_only_by_current_members_votes_and_every_eligible_owner_finds_them(
        ops in prop::collection::vec(op(), 1..60)
    ) {
        let mut model = Model::new();
        for op in &ops {
            model.apply(op);
        }
    }
}
