//! Random sequences of requests, votes, party answers, block advances and expiries, checking
//! after every step that final states never change, funds are conserved, and a fulfilled request
//! holds `party_threshold` verified signatures from distinct parties.

use std::collections::{BTreeMap, BTreeSet};

use cosmwasm_std::Binary;
use k256::ecdsa::signature::hazmat::PrehashVerifier;
use mpc_interfaces::signature_requests::{SignRequestStatus, SignResult, SignatureRequestResponse};
use mpc_interfaces::{KeyType, Policy};
use proptest::prelude::*;

use crate::suite::*;

#[derive(Debug, Clone)]
enum Op {
    Request { requester: usize, needs_two: bool, items: u8 },
    Approve { voter: usize, pick: usize },
    Reject { voter: usize, pick: usize },
    Submit { party: usize, pick: usize, answer: Answer },
    Advance { blocks: u64 },
    Expire { pick: usize },
}

#[derive(Debug, Clone, Copy)]
enum Answer {
    Valid,
    WrongSignature,
    Failure,
}

fn op() -> impl Strategy<Value = Op> {
    let answer = prop_oneof![
        3 => Just(Answer::Valid),
        1 => Just(Answer::WrongSignature),
        1 => Just(Answer::Failure),
    ];
    prop_oneof![
        3 => (0..4usize, any::<bool>(), 1..4u8)
            .prop_map(|(requester, needs_two, items)| Op::Request { requester, needs_two, items }),
        2 => (0..4usize, any::<usize>()).prop_map(|(voter, pick)| Op::Approve { voter, pick }),
        1 => (0..4usize, any::<usize>()).prop_map(|(voter, pick)| Op::Reject { voter, pick }),
        4 => (0..4usize, any::<usize>(), answer)
            .prop_map(|(party, pick, answer)| Op::Submit { party, pick, answer }),
        1 => (1..30u64).prop_map(|blocks| Op::Advance { blocks }),
        1 => any::<usize>().prop_map(|pick| Op::Expire { pick }),
    ]
}

type Snapshot = (Vec<Option<SignatureRequestResponse>>, Vec<(u128, u128)>);

struct Model {
    suite: Suite,
    /// Key with the workspace's policy (any one owner), key needing two owners.
    keys: [u64; 2],
    created: u64,
    /// Requests whose fee has left the contract (fulfilled, rejected, or expired by `Expire`).
    settled: BTreeSet<u64>,
    finals: BTreeMap<u64, SignatureRequestResponse>,
    supply: (u128, u128),
}

impl Model {
    fn new() -> Self {
        let mut suite = Suite::with_policy(None);
        let any_owner = suite.create_key(KeyType::EcdsaSecp256k1, None);
        let two_owners =
            suite.create_key(KeyType::EcdsaSecp256k1, Some(Policy::Owners { threshold: Some(2) }));
        let supply = total(&suite.requests_and_balances());
        Model {
            suite,
            keys: [any_owner, two_owners],
            created: 0,
            settled: BTreeSet::new(),
            finals: BTreeMap::new(),
            supply,
        }
    }

    /// An existing request id (or 1 when there is none, which the contract refuses).
    fn pick(&self, pick: usize) -> u64 {
        if self.created == 0 {
            1
        } else {
            pick as u64 % self.created + 1
        }
    }

    fn account(&self, index: usize) -> cosmwasm_std::Addr {
        let s = &self.suite;
        [&s.alice, &s.bob, &s.carol, &s.outsider][index].clone()
    }

    fn apply(&mut self, op: &Op) {
        let before = self.suite.requests_and_balances();
        let result = match *op {
            Op::Request { requester, needs_two, items } => {
                let items: Vec<Binary> = (0..items).map(|n| hash(n + self.created as u8)).collect();
                let msg = Suite::request_msg(self.keys[needs_two as usize], items);
                let sender = self.account(requester);
                let result = self.suite.execute(&sender, &msg, &Suite::fee());
                if result.is_ok() {
                    self.created += 1;
                }
                result.map(|_| ())
            }
            Op::Approve { voter, pick } => {
                let voter = self.account(voter);
                self.suite.approve(&voter, self.pick(pick)).map(|_| ())
            }
            Op::Reject { voter, pick } => {
                let voter = self.account(voter);
                self.suite.reject(&voter, self.pick(pick)).map(|_| ())
            }
            Op::Submit { party, pick, answer } => {
                let id = self.pick(pick);
                // Index 3 is a stranger to the keyring.
                let sender = self
                    .suite
                    .parties
                    .get(party)
                    .cloned()
                    .unwrap_or_else(|| self.suite.outsider.clone());
                let result = match (answer, before.0.get(id as usize - 1).and_then(Option::as_ref))
                {
                    (Answer::Failure, _) | (_, None) => Suite::failure("cannot sign"),
                    (Answer::Valid, Some(_)) => self.suite.sign(id),
                    (Answer::WrongSignature, Some(request)) => Suite::success(
                        request,
                        request
                            .items
                            .iter()
                            .map(|_| self.suite.sign_item(KeyType::EcdsaSecp256k1, &hash(0xee)))
                            .collect(),
                    ),
                };
                self.suite.submit(&sender, id, result).map(|_| ())
            }
            Op::Advance { blocks } => {
                self.suite.advance(blocks);
                Ok(())
            }
            Op::Expire { pick } => {
                let id = self.pick(pick);
                let outsider = self.suite.outsider.clone();
                let result = self.suite.expire(&outsider, vec![id]);
                if result.is_ok() {
                    self.settled.insert(id);
                }
                result.map(|_| ())
            }
        };
        let after = self.suite.requests_and_balances();
        if result.is_err() {
            assert_eq!(after, before, "refused {op:?} changed state");
        }
        self.check(&after);
    }

    fn check(&mut self, snapshot: &Snapshot) {
        let mut held = 0u128;
        for request in snapshot.0.iter().flatten() {
            if matches!(request.status, SignRequestStatus::Fulfilled | SignRequestStatus::Rejected)
            {
                self.settled.insert(request.id);
            }
            if request.status.is_final() {
                let first = self.finals.entry(request.id).or_insert_with(|| request.clone());
                assert_eq!(first.status, request.status, "final status changed");
                assert_eq!(first.signatures, request.signatures, "signatures changed");
                assert_eq!(first.answers, request.answers, "answers changed");
            }
            if !self.settled.contains(&request.id) {
                held += request
                    .fee
                    .iter()
                    .map(|c| c.amount.to_string().parse::<u128>().unwrap())
                    .sum::<u128>();
            }
            if request.status == SignRequestStatus::Fulfilled {
                check_fulfilled(request);
            }
        }
        assert_eq!(self.suite.balance(&self.suite.contract, DENOM), held, "held fees");
        assert_eq!(total(snapshot), self.supply, "funds in != funds out");
    }
}

fn total(snapshot: &Snapshot) -> (u128, u128) {
    snapshot.1.iter().fold((0, 0), |(a, b), (x, y)| (a + x, b + y))
}

fn check_fulfilled(request: &SignatureRequestResponse) {
    let successful: BTreeSet<_> = request
        .answers
        .iter()
        .filter(|a| matches!(a.result, SignResult::Success { .. }))
        .map(|a| a.party.clone())
        .collect();
    assert_eq!(successful.len(), request.party_threshold as usize);
    let key = k256::ecdsa::VerifyingKey::from_sec1_bytes(&request.public_key).unwrap();
    for answer in &request.answers {
        if let SignResult::Success { signatures, .. } = &answer.result {
            assert_eq!(signatures.len(), request.items.len());
            for (item, signature) in request.items.iter().zip(signatures) {
                let signature = k256::ecdsa::Signature::from_slice(signature).unwrap();
                key.verify_prehash(item, &signature).unwrap();
            }
        }
    }
    assert_eq!(request.signatures.as_ref().map(Vec::len), Some(request.items.len()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_keep_the_invariants(ops in proptest::collection::vec(op(), 1..40)) {
        let mut model = Model::new();
        for op in &ops {
            model.apply(op);
        }
    }
}
