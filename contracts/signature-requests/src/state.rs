use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Binary, Empty};
use cw_storage_plus::{Index, IndexList, IndexedMap, Item, Map, MultiIndex};
use mpc_contract_kit::agreement::{tally, Tally};
use mpc_contract_kit::deadline_list::{Overdue, Position};
/// The stored request is the interface's type: queries return it as stored, with its status as
/// seen at the query's height (see [`SignatureRequestExt::into_response`]).
pub use mpc_interfaces::signature_requests::SignatureRequest;
use mpc_interfaces::signature_requests::{SignRequestStatus, SignResult};
use mpc_interfaces::workspace::SignPolicyResponse;
use mpc_policy::{Ballots, Evaluation};

#[cw_serde]
pub struct Config {
    pub workspace_contract: Addr,
    pub keyring_contract: Addr,
    /// Default, and maximum, blocks a request may wait for approvals.
    pub approval_timeout_blocks: u64,
    /// Default, and maximum, blocks the parties have once a request is pending.
    pub mpc_timeout_blocks: u64,
}

/// A deadline height is the last height at which the request can still move.
pub const OVERDUE: Overdue = Overdue::AfterDeadline;

/// The contract's rules over a stored request.
pub trait SignatureRequestExt {
    /// The status as seen at `height`: an open request past its current deadline is expired.
    /// A deadline height is the last height at which the request can still move.
    fn status_at(&self, height: u64) -> SignRequestStatus;

    /// The deadline the request is indexed by: the MPC deadline once it has one (pending, or
    /// final after pending), else the approval deadline. An open request's is the deadline
    /// [`status_at`](Self::status_at) checks; a final request's never changes.
    fn deadline_height(&self) -> u64;

    /// Where the request sits in the deadline-ordered `keyring_status` index.
    fn position(&self) -> Position;

    /// Evaluation by the recorded policy and owners (see [`refresh`](Self::refresh)).
    fn evaluate(&self) -> Evaluation;

    /// Takes the sign policy and owners in force now (from the workspace), for the next
    /// evaluation.
    fn refresh(&mut self, in_force: SignPolicyResponse);

    fn is_eligible(&self, address: &Addr) -> bool;

    /// Everyone the snapshot policy lets vote, voted or not.
    fn eligible_approvers(&self) -> Vec<String>;

    fn has_voted(&self, address: &Addr) -> bool;

    fn has_answered(&self, party: &Addr) -> bool;

    /// Where the answers leave the request: the signature set `party_threshold` parties agree on,
    /// unreachable, or open (see `mpc_contract_kit::agreement`).
    fn tally(&self) -> Tally<'_, Vec<Binary>>;

    fn success_count(&self) -> usize;

    fn failure_count(&self) -> usize;

    /// The request as queries return it: its status as seen at `height`.
    fn into_response(self, height: u64) -> SignatureRequest;
}

impl SignatureRequestExt for SignatureRequest {
    fn status_at(&self, height: u64) -> SignRequestStatus {
        // The same deadline the index orders by, so the lists and the status always agree.
        if !self.status.is_final() && OVERDUE.is_overdue(self.deadline_height(), height) {
            SignRequestStatus::Expired
        } else {
            self.status
        }
    }

    fn deadline_height(&self) -> u64 {
        self.mpc_deadline_height
            .unwrap_or(self.approval_deadline_height)
    }

    fn position(&self) -> Position {
        (self.deadline_height(), self.id)
    }

    fn evaluate(&self) -> Evaluation {
        let owners = addr_strings(&self.owners);
        let approvals = addr_strings(&self.approvals);
        let rejections = addr_strings(&self.rejections);
        self.policy.evaluate(&Ballots {
            owners: &owners,
            approvals: &approvals,
            rejections: &rejections,
        })
    }

    fn refresh(&mut self, in_force: SignPolicyResponse) {
        self.policy = in_force.policy;
        self.owners = in_force.owners;
    }

    fn is_eligible(&self, address: &Addr) -> bool {
        self.policy
            .is_eligible(address.as_str(), &addr_strings(&self.owners))
    }

    fn eligible_approvers(&self) -> Vec<String> {
        self.policy.eligible(&addr_strings(&self.owners))
    }

    fn has_voted(&self, address: &Addr) -> bool {
        self.approvals.contains(address) || self.rejections.contains(address)
    }

    fn has_answered(&self, party: &Addr) -> bool {
        self.answers.iter().any(|a| a.party == *party)
    }

    fn tally(&self) -> Tally<'_, Vec<Binary>> {
        let answers = self.answers.iter().map(|a| {
            let signatures = match &a.result {
                SignResult::Success { signatures } => Some(signatures),
                SignResult::Failure { .. } => None,
            };
            (&a.party, signatures)
        });
        tally(answers, self.parties.len(), self.party_threshold)
    }

    fn success_count(&self) -> usize {
        self.answers.len() - self.failure_count()
    }

    fn failure_count(&self) -> usize {
        self.answers
            .iter()
            .filter(|a| matches!(a.result, SignResult::Failure { .. }))
            .count()
    }

    fn into_response(self, height: u64) -> SignatureRequest {
        SignatureRequest {
            status: self.status_at(height),
            ..self
        }
    }
}

pub fn addr_strings(addrs: &[Addr]) -> Vec<String> {
    addrs.iter().map(|a| a.to_string()).collect()
}

/// Index key of a request: (keyring id, stored status, [`SignatureRequestExt::deadline_height`]).
/// Ordering by deadline lets the `Partial` and `Pending` lists skip overdue requests with a range
/// bound instead of a scan (see `mpc_contract_kit::deadline_list`).
pub type KeyringStatusDeadline = (u64, String, u64);

pub struct RequestIndexes<'a> {
    /// The connector's work list, ordered by deadline within a stored status.
    pub keyring_status: MultiIndex<'a, KeyringStatusDeadline, SignatureRequest, u64>,
    pub key: MultiIndex<'a, u64, SignatureRequest, u64>,
    pub workspace: MultiIndex<'a, u64, SignatureRequest, u64>,
    pub requester: MultiIndex<'a, Addr, SignatureRequest, u64>,
}

impl IndexList<SignatureRequest> for RequestIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<SignatureRequest>> + '_> {
        let v: Vec<&dyn Index<SignatureRequest>> = vec![
            &self.keyring_status,
            &self.key,
            &self.workspace,
            &self.requester,
        ];
        Box::new(v.into_iter())
    }
}

pub fn requests<'a>() -> IndexedMap<u64, SignatureRequest, RequestIndexes<'a>> {
    IndexedMap::new(
        "requests",
        RequestIndexes {
            keyring_status: MultiIndex::new(
                |_pk, r: &SignatureRequest| {
                    (
                        r.keyring_id,
                        r.status.as_str().to_string(),
                        r.deadline_height(),
                    )
                },
                "requests",
                "requests__keyring_status",
            ),
            key: MultiIndex::new(|_pk, r| r.key_id, "requests", "requests__key"),
            workspace: MultiIndex::new(|_pk, r| r.workspace_id, "requests", "requests__workspace"),
            requester: MultiIndex::new(
                |_pk, r| r.requester.clone(),
                "requests",
                "requests__requester",
            ),
        },
    )
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const REQUEST_COUNT: Item<u64> = Item::new("request_count");
/// (approver, approval deadline height, request id) for every eligible approver who has not
/// voted on a `partial` request. Deadline-keyed so that the list skips the overdue requests (they
/// read as expired) with a range bound; entries leave when the request leaves `partial`.
pub const AWAITING_APPROVER: Map<(&Addr, u64, u64), Empty> = Map::new("awaiting_approver");

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{coin, from_json, to_json_string, Binary};
    use mpc_interfaces::signature_requests::PartySignAnswer;
    use mpc_interfaces::KeyType;
    use mpc_policy::Policy;

    /// A request with every field set.
    fn request() -> SignatureRequest {
        let addr = Addr::unchecked;
        SignatureRequest {
            id: 1,
            key_id: 2,
            keyring_id: 3,
            workspace_id: 4,
            key_type: KeyType::EddsaEd25519,
            public_key: Binary::from(vec![1, 2]),
            requester: addr("owner"),
            items: vec![Binary::from(vec![3])],
            status: SignRequestStatus::Fulfilled,
            policy: Policy::any_owner(),
            owners: vec![addr("owner")],
            approvals: vec![addr("owner")],
            rejections: vec![addr("other")],
            parties: vec![addr("p1"), addr("p2")],
            party_threshold: 1,
            answers: vec![PartySignAnswer {
                party: addr("p1"),
                result: SignResult::Success {
                    signatures: vec![Binary::from(vec![4])],
                },
                height: 9,
            }],
            signatures: Some(vec![Binary::from(vec![4])]),
            fee: vec![coin(5, "uatom")],
            callback: Some(addr("caller")),
            created_height: 6,
            approval_deadline_height: 7,
            mpc_timeout_blocks: 8,
            mpc_deadline_height: Some(10),
            reject_reason: Some("no".to_string()),
        }
    }

    /// The stored JSON of a request: its field names and order are the storage layout, which must
    /// not change without a migration.
    #[test]
    fn stored_layout_is_pinned() {
        let request = request();
        let json = concat!(
            r#"{"id":1,"key_id":2,"keyring_id":3,"workspace_id":4,"key_type":"eddsa_ed25519","#,
            r#""public_key":"AQI=","requester":"owner","items":["Aw=="],"status":"fulfilled","#,
            r#""policy":{"owners":{"threshold":null}},"owners":["owner"],"approvals":["owner"],"#,
            r#""rejections":["other"],"parties":["p1","p2"],"party_threshold":1,"#,
            r#""answers":[{"party":"p1","result":{"success":{"signatures":["BA=="]}},"height":9}],"#,
            r#""signatures":["BA=="],"fee":[{"denom":"uatom","amount":"5"}],"callback":"caller","#,
            r#""created_height":6,"approval_deadline_height":7,"mpc_timeout_blocks":8,"#,
            r#""mpc_deadline_height":10,"reject_reason":"no"}"#
        );
        assert_eq!(to_json_string(&request).unwrap(), json);
        assert_eq!(from_json::<SignatureRequest>(json).unwrap(), request);
    }

    #[test]
    fn response_is_the_record_with_the_status_seen_now() {
        let mut pending = request();
        pending.status = SignRequestStatus::Pending;
        // mpc_deadline_height is 10: the last height at which the parties may answer.
        assert_eq!(pending.clone().into_response(10), pending);
        let response = pending.clone().into_response(11);
        assert_eq!(response.status, SignRequestStatus::Expired);
        assert_eq!(
            SignatureRequest {
                status: SignRequestStatus::Pending,
                ..response
            },
            pending
        );
    }
}
