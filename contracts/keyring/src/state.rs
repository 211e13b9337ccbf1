//! Storage: keyrings, keys, key requests and their indexes. Every map has a one-letter
//! namespace: each key byte costs 30 gas a write and 3 a read.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Binary, Coin, Empty, StdResult, Storage};
use cw_storage_plus::{Bound, Item, Map};
use mpc_contract_kit::agreement::{tally, AnswerLog, Tally};
use mpc_contract_kit::deadline_list::{Position, StatusIndex};
use mpc_contract_kit::lifecycle::{Deadline, Record, Standing};
/// Keyrings and keys are stored as the interface's types: queries return them as stored.
pub use mpc_interfaces::keyring::{Key, KeyRequest, Keyring};
use mpc_interfaces::keyring::{
    KeyRequestStatus, KeyResult, PartyKeyAnswer, MAX_ADMINS, MAX_PARTIES,
};
use mpc_interfaces::workspace::WorkspaceContract;
use mpc_interfaces::KeyType;
use serde::{Deserialize, Serialize};

use crate::error::{ContractError, ContractResult};

#[cw_serde]
pub struct Config {
    pub workspace_contract: WorkspaceContract,
    pub key_request_timeout_blocks: u64,
}

pub const CONFIG: Item<Config> = Item::new("config");

pub const KEYRINGS: Map<u64, Keyring> = Map::new("g");

/// What a key request asks for, written once when it is made.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct KeyRequestBody {
    pub workspace_id: u64,
    pub keyring_id: u64,
    pub requester: Addr,
    pub key_type: KeyType,
    /// Parties and threshold of the keyring when the request was made; they answer it.
    pub parties: Vec<Addr>,
    pub party_threshold: u32,
    /// The fee paid with the request, held until it ends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fee: Vec<Coin>,
    pub created_height: u64,
    pub deadline: Deadline,
}

/// How a key request ended; no entry while it is pending.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct KeyRequestOutcome {
    pub status: KeyRequestStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_reason: Option<String>,
}

pub const KEY_REQUESTS: Map<u64, KeyRequestBody> = Map::new("r");
const KEY_REQUEST_OUTCOMES: Map<u64, KeyRequestOutcome> = Map::new("o");
/// The parties' answers to each key request, in the order they were given.
pub const KEY_ANSWERS: AnswerLog<PartyKeyAnswer> = AnswerLog::new("a");
/// ((keyring id, stored status), deadline height, request id): the connector's work list,
/// ordered by deadline within a stored status so that the overdue pending requests are a prefix
/// a range bound skips (see `mpc_contract_kit::deadline_list`).
const KEY_REQUESTS_BY_KEYRING: StatusIndex = StatusIndex::new("s");

/// A keyring's two member lists. They change the same way, each with its own bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Party,
    Admin,
}

impl Role {
    pub fn members(self, keyring: &mut Keyring) -> &mut Vec<Addr> {
        match self {
            Role::Party => &mut keyring.parties,
            Role::Admin => &mut keyring.admins,
        }
    }

    pub fn max(self) -> usize {
        match self {
            Role::Party => MAX_PARTIES,
            Role::Admin => MAX_ADMINS,
        }
    }

    /// Appends `member` to `members`, a list of this role: refused when it is there already or
    /// the list is full.
    pub fn admit(self, members: &mut Vec<Addr>, member: Addr) -> ContractResult<()> {
        if members.contains(&member) {
            return Err(ContractError::DuplicateMember {
                role: self,
                member: member.into_string(),
            });
        }
        if members.len() >= self.max() {
            let (count, max) = (members.len() + 1, self.max());
            return Err(ContractError::TooManyMembers { role: self, count, max });
        }
        members.push(member);
        Ok(())
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Party => "party",
            Role::Admin => "admin",
        })
    }
}

/// A key request as the contract works with it: its body and, once it ended, its outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredKeyRequest {
    pub id: u64,
    pub body: KeyRequestBody,
    pub outcome: Option<KeyRequestOutcome>,
}

impl StoredKeyRequest {
    /// Stores a new request and its by-keyring entry.
    pub fn create(&self, storage: &mut dyn Storage) -> StdResult<()> {
        KEY_REQUESTS.save(storage, self.id, &self.body)?;
        KEY_REQUESTS_BY_KEYRING.insert_record(storage, self.body.keyring_id, self)
    }

    /// Records how the request ended, and moves its by-keyring entry to match.
    pub fn finish(
        &mut self, storage: &mut dyn Storage, outcome: KeyRequestOutcome,
    ) -> StdResult<()> {
        KEY_REQUESTS_BY_KEYRING.track(storage, self.body.keyring_id, self, |storage, request| {
            KEY_REQUEST_OUTCOMES.save(storage, request.id, &outcome)?;
            request.outcome = Some(outcome);
            Ok(())
        })
    }

    /// The request as `QueryMsg::KeyRequest` returns it, with its answers, as seen at `height`.
    pub fn into_response(self, answers: Vec<PartyKeyAnswer>, height: u64) -> KeyRequest {
        let status = self.status_at(height);
        let (key_id, reject_reason) =
            self.outcome.map_or((None, None), |o| (o.key_id, o.reject_reason));
        let body = self.body;
        KeyRequest {
            id: self.id,
            workspace_id: body.workspace_id,
            keyring_id: body.keyring_id,
            requester: body.requester,
            key_type: body.key_type,
            status,
            parties: body.parties,
            party_threshold: body.party_threshold,
            answers,
            fee: body.fee,
            created_height: body.created_height,
            deadline_height: body.deadline.height(),
            key_id,
            reject_reason,
        }
    }
}

impl Record for StoredKeyRequest {
    type Status = KeyRequestStatus;

    /// Pending until it has an outcome; its one deadline is the body's.
    fn standing(&self) -> Standing<KeyRequestStatus> {
        let stored = self.outcome.as_ref().map_or(KeyRequestStatus::Pending, |o| o.status);
        Standing { id: self.id, stored, deadline: self.body.deadline }
    }
}

pub fn load_key_request(
    storage: &dyn Storage, request_id: u64,
) -> ContractResult<StoredKeyRequest> {
    let body = KEY_REQUESTS
        .may_load(storage, request_id)?
        .ok_or(ContractError::KeyRequestNotFound { request_id })?;
    Ok(StoredKeyRequest {
        id: request_id,
        body,
        outcome: KEY_REQUEST_OUTCOMES.may_load(storage, request_id)?,
    })
}

/// The by-keyring entries of key requests stored in `status`, between position bounds.
pub fn key_request_positions<'a>(
    storage: &'a dyn Storage, keyring_id: u64, status: KeyRequestStatus,
    min: Option<Bound<'static, Position>>, max: Option<Bound<'static, Position>>,
) -> Box<dyn Iterator<Item = StdResult<Position>> + 'a> {
    KEY_REQUESTS_BY_KEYRING.positions(storage, keyring_id, status, min, max)
}

/// Where the answers so far leave a pending request.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// Every party gave this key; they are listed in the order they answered.
    Agreed { public_key: Binary, parties: Vec<Addr> },
    /// Some party answered otherwise (a failure or another key): the key cannot come about.
    Unreachable { reason: String },
    /// Still possible, not yet reached.
    Open,
}

/// Groups the successful answers by public key and decides whether the key exists, can no longer
/// exist, or may still come. A key needs the same answer from EVERY party of the request, not
/// `party_threshold` of them: distributed key generation runs with all of them, and a party
/// answers only once its share is stored, so a key made on fewer answers could lack a share
/// (a party stopped in the DKG's last round) and sign with less fault tolerance than it claims.
pub fn outcome(body: &KeyRequestBody, answers: &[PartyKeyAnswer]) -> Outcome {
    let values = answers.iter().map(|a| {
        let key = match &a.result {
            KeyResult::Success { public_key } => Some(public_key),
            KeyResult::Failure { .. } => None,
        };
        (&a.party, key)
    });
    let all = body.parties.len();
    match tally(values, all, all as u32) {
        Tally::Agreed { value, parties } => Outcome::Agreed { public_key: value.clone(), parties },
        Tally::Unreachable { unanswered, largest } => Outcome::Unreachable {
            reason: format!(
                "every one of the {all} parties must give the same key: {unanswered} parties \
                 unanswered, largest agreement {largest}"
            ),
        },
        Tally::Open => Outcome::Open,
    }
}

pub const KEYS: Map<u64, Key> = Map::new("k");
/// public key -> the key holding it: a public key is one key of the contract (of every keyring
/// and workspace), so no workspace signs for another's address.
pub const KEYS_BY_PUBLIC_KEY: Map<&[u8], u64> = Map::new("p");
/// (workspace id, key id): the keys of a workspace.
pub const KEYS_BY_WORKSPACE: Map<(u64, u64), Empty> = Map::new("w");

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{coin, from_json, to_json_string};

    fn body(threshold: u32, parties: usize) -> KeyRequestBody {
        KeyRequestBody {
            workspace_id: 1,
            keyring_id: 1,
            requester: Addr::unchecked("owner"),
            key_type: KeyType::EcdsaSecp256k1,
            parties: (0..parties).map(|i| Addr::unchecked(format!("p{i}"))).collect(),
            party_threshold: threshold,
            fee: vec![],
            created_height: 1,
            deadline: Deadline::at(10),
        }
    }

    fn answers(results: &[KeyResult]) -> Vec<PartyKeyAnswer> {
        results
            .iter()
            .enumerate()
            .map(|(i, result)| PartyKeyAnswer {
                party: Addr::unchecked(format!("p{i}")),
                result: result.clone(),
                height: 1,
            })
            .collect()
    }

    fn key(byte: u8) -> KeyResult {
        KeyResult::Success { public_key: Binary::from(vec![byte; 33]) }
    }

    fn fail() -> KeyResult {
        KeyResult::Failure { reason: String::new() }
    }

    #[test]
    fn a_key_needs_the_same_answer_from_every_party_whatever_the_threshold() {
        let run = |threshold, parties, results: &[KeyResult]| {
            outcome(&body(threshold, parties), &answers(results))
        };
        assert_eq!(run(2, 3, &[key(1)]), Outcome::Open);
        // Two of three agree: a signing threshold's worth, but not every share is confirmed.
        assert_eq!(run(2, 3, &[key(1), key(1)]), Outcome::Open);
        assert_eq!(
            run(2, 3, &[key(1), key(1), key(1)]),
            Outcome::Agreed {
                public_key: Binary::from(vec![1; 33]),
                parties: vec![Addr::unchecked("p0"), Addr::unchecked("p1"), Addr::unchecked("p2")],
            }
        );
        // One other key, or one failure, and the key cannot come about.
        assert!(matches!(run(2, 3, &[key(1), key(2)]), Outcome::Unreachable { .. }));
        assert!(matches!(run(2, 3, &[key(1), key(1), fail()]), Outcome::Unreachable { .. }));
        assert!(matches!(run(3, 5, &[fail()]), Outcome::Unreachable { .. }));
        assert_eq!(run(3, 5, &[key(1), key(1), key(1), key(1)]), Outcome::Open);
    }

    /// The stored JSON of each record, every field set: field names and order are the storage
    /// layout, which must not change without a migration.
    #[test]
    fn stored_layouts_are_pinned() {
        let addr = Addr::unchecked;

        let keyring = Keyring {
            id: 1,
            creator: addr("creator"),
            description: "d".to_string(),
            admins: vec![addr("creator")],
            parties: vec![addr("p1"), addr("p2")],
            party_threshold: 2,
            key_req_fee: vec![coin(3, "uatom")],
            sig_req_fee: vec![coin(4, "uatom")],
            active: true,
        };
        let json = concat!(
            r#"{"id":1,"creator":"creator","description":"d","admins":["creator"],"#,
            r#""parties":["p1","p2"],"party_threshold":2,"#,
            r#""key_req_fee":[{"denom":"uatom","amount":"3"}],"#,
            r#""sig_req_fee":[{"denom":"uatom","amount":"4"}],"active":true}"#
        );
        assert_eq!(to_json_string(&keyring).unwrap(), json);
        assert_eq!(from_json::<Keyring>(json).unwrap(), keyring);

        let request = KeyRequestBody { fee: vec![coin(3, "uatom")], ..body(1, 2) };
        let json = concat!(
            r#"{"workspace_id":1,"keyring_id":1,"requester":"owner","#,
            r#""key_type":"ecdsa_secp256k1","parties":["p0","p1"],"party_threshold":1,"#,
            r#""fee":[{"denom":"uatom","amount":"3"}],"created_height":1,"deadline":10}"#
        );
        assert_eq!(to_json_string(&request).unwrap(), json);
        assert_eq!(from_json::<KeyRequestBody>(json).unwrap(), request);

        let outcome = KeyRequestOutcome {
            status: KeyRequestStatus::Fulfilled,
            key_id: Some(5),
            reject_reason: None,
        };
        let json = r#"{"status":"fulfilled","key_id":5}"#;
        assert_eq!(to_json_string(&outcome).unwrap(), json);
        assert_eq!(from_json::<KeyRequestOutcome>(json).unwrap(), outcome);

        let answer = &answers(&[KeyResult::Success { public_key: Binary::from(vec![7, 7, 7]) }])[0];
        let json = r#"{"party":"p0","result":{"success":{"public_key":"BwcH"}},"height":1}"#;
        assert_eq!(to_json_string(answer).unwrap(), json);

        let key = Key {
            id: 5,
            workspace_id: 1,
            keyring_id: 1,
            key_type: KeyType::EddsaEd25519,
            public_key: Binary::from(vec![7, 7, 7]),
            parties: vec![addr("p0")],
            party_threshold: 1,
            request_id: 1,
            created_height: 2,
        };
        let json = concat!(
            r#"{"id":5,"workspace_id":1,"keyring_id":1,"key_type":"eddsa_ed25519","#,
            r#""public_key":"BwcH","parties":["p0"],"party_threshold":1,"#,
            r#""request_id":1,"created_height":2}"#
        );
        assert_eq!(to_json_string(&key).unwrap(), json);
        assert_eq!(from_json::<Key>(json).unwrap(), key);
    }

    #[test]
    fn overdue_pending_reads_as_expired() {
        let request = StoredKeyRequest { id: 1, body: body(1, 1), outcome: None };
        assert_eq!(request.status_at(10), KeyRequestStatus::Pending);
        assert_eq!(request.status_at(11), KeyRequestStatus::Expired);
        let response = request.clone().into_response(vec![], 11);
        assert_eq!(response.status, KeyRequestStatus::Expired);
        assert_eq!(response.deadline_height, 10);
    }
}
