//! Issue 10's property: random sequences over the three contracts — owners added and removed,
//! the workspace's sign policy and keys' own policies changed, requests, approvals, rejections
//! and party answers — checking after every step that
//! - a request turns `pending` only when the sign policy in force for its key is met by the
//!   approvals of current owners;
//! - no approver counts twice (the policy in force validates, so nobody is named twice or counted
//!   by two leaves; no address approves twice or both approves and rejects);
//! - funds in equal funds out: nothing is created or lost, and the contract holds exactly the
//!   fees of the requests that have not ended.

use cosmwasm_std::Addr;
use mpc_interfaces::signature_requests::{SignRequestStatus, SignatureRequestResponse};
use mpc_interfaces::workspace::{AdminAction, QueryMsg as WorkspaceQueryMsg, SignPolicyResponse};
use mpc_interfaces::{KeyType, Policy};
use mpc_policy::Ballots;
use proptest::prelude::*;

use crate::suite::*;

#[derive(Debug, Clone)]
enum Op {
    AddOwner { who: usize },
    RemoveOwner { who: usize },
    SetSignPolicy { choice: usize },
    SetKeyPolicy { key: usize, choice: Option<usize> },
    Request { requester: usize, key: usize },
    Approve { voter: usize, pick: usize },
    Reject { voter: usize, pick: usize },
    Submit { party: usize, pick: usize },
    Advance { blocks: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (0..4usize).prop_map(|who| Op::AddOwner { who }),
        1 => (0..4usize).prop_map(|who| Op::RemoveOwner { who }),
        1 => (0..5usize).prop_map(|choice| Op::SetSignPolicy { choice }),
        1 => (0..2usize, prop::option::of(0..5usize))
            .prop_map(|(key, choice)| Op::SetKeyPolicy { key, choice }),
        3 => (0..4usize, 0..2usize).prop_map(|(requester, key)| Op::Request { requester, key }),
        4 => (0..4usize, any::<usize>()).prop_map(|(voter, pick)| Op::Approve { voter, pick }),
        1 => (0..4usize, any::<usize>()).prop_map(|(voter, pick)| Op::Reject { voter, pick }),
        3 => (0..3usize, any::<usize>()).prop_map(|(party, pick)| Op::Submit { party, pick }),
        1 => (1..20u64).prop_map(|blocks| Op::Advance { blocks }),
    ]
}

struct Model {
    suite: Suite,
    keys: [u64; 2],
    created: u64,
    supply: (u128, u128),
}

impl Model {
    fn new() -> Self {
        let mut suite = Suite::with_policy(None);
        let keys = [
            suite.create_key(KeyType::EcdsaSecp256k1, None),
            suite.create_key(KeyType::EcdsaSecp256k1, None),
        ];
        let supply = total(&suite.requests_and_balances().1);
        Model { suite, keys, created: 0, supply }
    }

    fn account(&self, index: usize) -> Addr {
        let s = &self.suite;
        [&s.alice, &s.bob, &s.carol, &s.outsider][index].clone()
    }

    fn pick(&self, pick: usize) -> u64 {
        if self.created == 0 {
            1
        } else {
            pick as u64 % self.created + 1
        }
    }

    /// A few policies over the accounts; some name accounts that may not be owners (refused).
    fn policy(&self, choice: usize) -> Option<Policy> {
        let approver = |i: usize| Policy::Approver(self.account(i).to_string());
        match choice {
            0 => None,
            1 => Some(Policy::Owners { threshold: Some(2) }),
            2 => Some(Policy::AnyOf {
                threshold: 2,
                of: vec![approver(0), approver(1), Policy::Owners { threshold: None }],
            }),
            3 => Some(Policy::AllOf(vec![approver(2), approver(3)])),
            _ => Some(approver(1)),
        }
    }

    fn in_force(&self, key_id: u64) -> SignPolicyResponse {
        self.suite
            .app
            .wrap()
            .query_wasm_smart(
                &self.suite.workspace,
                &WorkspaceQueryMsg::SignPolicy {
                    workspace_id: self.suite.workspace_id,
                    key_id: Some(key_id),
                },
            )
            .unwrap()
    }

    fn apply(&mut self, op: &Op) {
        let before = self.suite.requests_and_balances();
        // Proposals by the first owner: the default admin policy lets one owner act at once.
        let admin = self.suite.alice.clone();
        let result = match *op {
            Op::AddOwner { who } => {
                let owner = self.account(who).to_string();
                self.suite.admin_action(&admin, AdminAction::AddOwner { owner })
            }
            Op::RemoveOwner { who } => {
                let owner = self.account(who).to_string();
                // Bob proposes, so that alice can be removed too.
                let bob = self.suite.bob.clone();
                self.suite.admin_action(&bob, AdminAction::RemoveOwner { owner })
            }
            Op::SetSignPolicy { choice } => {
                let policy = self.policy(choice);
                self.suite.admin_action(&admin, AdminAction::SetSignPolicy { policy })
            }
            Op::SetKeyPolicy { key, choice } => {
                let policy = choice.and_then(|c| self.policy(c));
                let key_id = self.keys[key];
                self.suite.set_key_policy(&admin, key_id, policy)
            }
            Op::Request { requester, key } => {
                let sender = self.account(requester);
                let msg = Suite::request_msg(self.keys[key], vec![hash(self.created as u8)]);
                let result = self.suite.execute(&sender, &msg, &Suite::fee());
                if result.is_ok() {
                    self.created += 1;
                }
                result
            }
            Op::Approve { voter, pick } => {
                let voter = self.account(voter);
                self.suite.approve(&voter, self.pick(pick))
            }
            Op::Reject { voter, pick } => {
                let voter = self.account(voter);
                self.suite.reject(&voter, self.pick(pick))
            }
            Op::Submit { party, pick } => {
                let id = self.pick(pick);
                let party = self.suite.parties[party].clone();
                let answer = if before.0.get(id as usize - 1).is_some() {
                    self.suite.sign(id)
                } else {
                    Suite::failure("no such request")
                };
                self.suite.submit(&party, id, answer)
            }
            Op::Advance { blocks } => {
                self.suite.advance(blocks);
                return self.check(&before.0);
            }
        };
        let after = self.suite.requests_and_balances();
        if result.is_err() {
            assert_eq!(after.0, before.0, "refused {op:?} changed a request");
            assert_eq!(after.1, before.1, "refused {op:?} moved funds");
        }
        self.check(&before.0);
    }

    fn check(&self, before: &[Option<SignatureRequestResponse>]) {
        let (requests, balances) = self.suite.requests_and_balances();
        let mut held = 0u128;
        for (i, request) in requests.iter().flatten().enumerate() {
            let was = before.get(i).and_then(Option::as_ref).map(|r| r.status);
            if request.status == SignRequestStatus::Pending
                && was != Some(SignRequestStatus::Pending)
            {
                // It turned pending in this step: the policy in force now is the one it met.
                let in_force = self.in_force(request.key_id);
                let owners: Vec<String> = in_force.owners.iter().map(Addr::to_string).collect();
                assert!(in_force.policy.validate(&owners).is_ok());
                let approvals: Vec<String> = request
                    .approvals
                    .iter()
                    .map(Addr::to_string)
                    .filter(|a| owners.contains(a))
                    .collect();
                assert!(
                    in_force.policy.is_satisfied(&Ballots {
                        owners: &owners,
                        approvals: &approvals,
                        rejections: &[],
                    }),
                    "request {} turned pending without the policy in force met by current \
                     owners: {request:?}, {in_force:?}",
                    request.id
                );
            }
            let mut voters: Vec<&Addr> =
                request.approvals.iter().chain(&request.rejections).collect();
            let votes = voters.len();
            voters.sort();
            voters.dedup();
            assert_eq!(voters.len(), votes, "someone voted twice: {request:?}");
            if matches!(
                request.status,
                SignRequestStatus::Partial
                    | SignRequestStatus::Pending
                    | SignRequestStatus::Expired
            ) {
                // Nothing here settles expired requests: their fee is still held.
                held += FEE;
            }
        }
        assert_eq!(total(&balances), self.supply, "funds created or lost");
        let contract =
            self.suite.accounts().iter().position(|a| *a == self.suite.contract).unwrap();
        assert_eq!(balances[contract].0, held, "held fees");
    }
}

fn total(balances: &[(u128, u128)]) -> (u128, u128) {
    balances.iter().fold((0, 0), |(a, b), (x, y)| (a + x, b + y))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn pending_only_when_the_policy_in_force_is_met_by_current_owners(
        ops in prop::collection::vec(op(), 1..40)
    ) {
        let mut model = Model::new();
        for op in &ops {
            model.apply(op);
        }
    }
}
