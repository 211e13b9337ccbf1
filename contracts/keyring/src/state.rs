use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Binary, StdResult, Storage};
use cw_storage_plus::{Index, IndexList, IndexedMap, Item, Map, MultiIndex};
use mpc_contract_kit::agreement::{tally, Tally};
use mpc_contract_kit::deadline_list::Position;
use mpc_contract_kit::lifecycle::Deadline;
/// The stored records are the interface's types: queries return them as they are stored (a key
/// request with its status as seen at the query's height, see [`KeyRequestExt::into_response`]).
pub use mpc_interfaces::keyring::{Key, KeyRequest, Keyring};
use mpc_interfaces::keyring::{KeyRequestStatus, KeyResult};

#[cw_serde]
pub struct Config {
    pub workspace_contract: Addr,
    pub key_request_timeout_blocks: u64,
}

pub const CONFIG: Item<Config> = Item::new("config");

/// Last id handed out per record kind; ids start at 1.
pub const LAST_KEYRING_ID: Item<u64> = Item::new("last_keyring_id");
pub const LAST_KEY_REQUEST_ID: Item<u64> = Item::new("last_key_request_id");
pub const LAST_KEY_ID: Item<u64> = Item::new("last_key_id");

/// Bumps a counter and returns the new id.
pub fn next_id(storage: &mut dyn Storage, counter: &Item<u64>) -> StdResult<u64> {
    let id = counter.may_load(storage)?.unwrap_or_default() + 1;
    counter.save(storage, &id)?;
    Ok(id)
}

pub const KEYRINGS: Map<u64, Keyring> = Map::new("keyrings");

/// Where the answers so far leave a pending request.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// `party_threshold` parties gave this key; they are listed in the order they answered.
    Agreed {
        public_key: Binary,
        parties: Vec<Addr>,
    },
    /// Not enough parties are left unanswered to reach the threshold.
    Unreachable { reason: String },
    /// Still possible, not yet reached.
    Open,
}

/// The keyring's rules over a stored key request.
pub trait KeyRequestExt {
    /// Whether answers are no longer taken at `height`.
    fn is_overdue(&self, height: u64) -> bool;

    /// Where the request sits in the deadline-ordered `by_keyring_status` index.
    fn position(&self) -> Position;

    /// The status as seen at `height`: an overdue pending request reads as expired.
    fn status_at(&self, height: u64) -> KeyRequestStatus;

    fn has_answered(&self, party: &Addr) -> bool;

    /// Groups the successful answers by public key and decides whether the key exists, can no
    /// longer exist, or may still come. Failures and minority keys count against the threshold.
    fn outcome(&self) -> Outcome;

    /// The request as queries return it: its status as seen at `height`.
    fn into_response(self, height: u64) -> KeyRequest;
}

impl KeyRequestExt for KeyRequest {
    fn is_overdue(&self, height: u64) -> bool {
        Deadline::at(self.deadline_height).is_overdue(height)
    }

    fn position(&self) -> Position {
        (self.deadline_height, self.id)
    }

    fn status_at(&self, height: u64) -> KeyRequestStatus {
        if self.status == KeyRequestStatus::Pending && self.is_overdue(height) {
            KeyRequestStatus::Expired
        } else {
            self.status
        }
    }

    fn has_answered(&self, party: &Addr) -> bool {
        self.answers.iter().any(|a| a.party == *party)
    }

    fn outcome(&self) -> Outcome {
        let answers = self.answers.iter().map(|a| {
            let key = match &a.result {
                KeyResult::Success { public_key } => Some(public_key),
                KeyResult::Failure { .. } => None,
            };
            (&a.party, key)
        });
        match tally(answers, self.parties.len(), self.party_threshold) {
            Tally::Agreed { value, parties } => Outcome::Agreed {
                public_key: value.clone(),
                parties,
            },
            Tally::Unreachable {
                unanswered,
                largest,
            } => Outcome::Unreachable {
                reason: Tally::<Binary>::unreachable_reason(
                    self.party_threshold,
                    unanswered,
                    largest,
                ),
            },
            Tally::Open => Outcome::Open,
        }
    }

    fn into_response(self, height: u64) -> KeyRequest {
        KeyRequest {
            status: self.status_at(height),
            ..self
        }
    }
}

/// Index key of a key request: (keyring id, stored status, deadline height). Ordering by deadline
/// lets the `Pending` work list skip overdue requests with a range bound instead of a scan.
pub type KeyringStatusDeadline = (u64, String, u64);

pub struct KeyRequestIndexes<'a> {
    pub by_keyring_status: MultiIndex<'a, KeyringStatusDeadline, KeyRequest, u64>,
}

impl IndexList<KeyRequest> for KeyRequestIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<KeyRequest>> + '_> {
        let v: Vec<&dyn Index<KeyRequest>> = vec![&self.by_keyring_status];
        Box::new(v.into_iter())
    }
}

pub fn key_requests<'a>() -> IndexedMap<u64, KeyRequest, KeyRequestIndexes<'a>> {
    IndexedMap::new(
        "key_requests",
        KeyRequestIndexes {
            by_keyring_status: MultiIndex::new(
                |_pk, r: &KeyRequest| {
                    (
                        r.keyring_id,
                        r.status.as_str().to_string(),
                        r.deadline_height,
                    )
                },
                "key_requests",
                "key_requests__keyring_status",
            ),
        },
    )
}

pub struct KeyIndexes<'a> {
    pub by_workspace: MultiIndex<'a, u64, Key, u64>,
}

impl IndexList<Key> for KeyIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<Key>> + '_> {
        let v: Vec<&dyn Index<Key>> = vec![&self.by_workspace];
        Box::new(v.into_iter())
    }
}

pub fn keys<'a>() -> IndexedMap<u64, Key, KeyIndexes<'a>> {
    IndexedMap::new(
        "keys",
        KeyIndexes {
            by_workspace: MultiIndex::new(|_pk, k: &Key| k.workspace_id, "keys", "keys__workspace"),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use mpc_interfaces::keyring::PartyKeyAnswer;
    use mpc_interfaces::KeyType;

    fn request(threshold: u32, parties: usize, answers: &[KeyResult]) -> KeyRequest {
        let parties: Vec<Addr> = (0..parties)
            .map(|i| Addr::unchecked(format!("p{i}")))
            .collect();
        KeyRequest {
            id: 1,
            workspace_id: 1,
            keyring_id: 1,
            requester: Addr::unchecked("owner"),
            key_type: KeyType::EcdsaSecp256k1,
            status: KeyRequestStatus::Pending,
            answers: answers
                .iter()
                .zip(&parties)
                .map(|(result, party)| PartyKeyAnswer {
                    party: party.clone(),
                    result: result.clone(),
                    height: 1,
                })
                .collect(),
            parties,
            party_threshold: threshold,
            fee: vec![],
            created_height: 1,
            deadline_height: 10,
            key_id: None,
            reject_reason: None,
        }
    }

    fn key(byte: u8) -> KeyResult {
        KeyResult::Success {
            public_key: Binary::from(vec![byte; 33]),
        }
    }

    fn fail() -> KeyResult {
        KeyResult::Failure {
            reason: String::new(),
        }
    }

    #[test]
    fn outcome_follows_the_largest_agreement() {
        assert_eq!(request(2, 3, &[key(1)]).outcome(), Outcome::Open);
        assert_eq!(request(2, 3, &[key(1), key(2)]).outcome(), Outcome::Open);
        assert_eq!(
            request(2, 3, &[key(1), key(2), key(1)]).outcome(),
            Outcome::Agreed {
                public_key: Binary::from(vec![1; 33]),
                parties: vec![Addr::unchecked("p0"), Addr::unchecked("p2")],
            }
        );
        assert!(matches!(
            request(2, 3, &[key(1), key(2), fail()]).outcome(),
            Outcome::Unreachable { .. }
        ));
        assert!(matches!(
            request(3, 5, &[fail(), fail(), fail()]).outcome(),
            Outcome::Unreachable { .. }
        ));
        assert_eq!(request(3, 5, &[fail(), fail()]).outcome(), Outcome::Open);
    }

    /// The stored JSON of each record, every field set: field names and order are the storage
    /// layout, which must not change without a migration.
    #[test]
    fn stored_layouts_are_pinned() {
        use cosmwasm_std::{coin, from_json, to_json_string};
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

        let mut request = request(1, 2, &[]);
        request.answers = vec![PartyKeyAnswer {
            party: addr("p0"),
            result: KeyResult::Success {
                public_key: Binary::from(vec![7, 7, 7]),
            },
            height: 1,
        }];
        request.status = KeyRequestStatus::Fulfilled;
        request.fee = vec![coin(3, "uatom")];
        request.key_id = Some(5);
        request.reject_reason = Some("no".to_string());
        let json = concat!(
            r#"{"id":1,"workspace_id":1,"keyring_id":1,"requester":"owner","#,
            r#""key_type":"ecdsa_secp256k1","status":"fulfilled","parties":["p0","p1"],"#,
            r#""party_threshold":1,"#,
            r#""answers":[{"party":"p0","result":{"success":{"public_key":"BwcH"}},"height":1}],"#,
            r#""fee":[{"denom":"uatom","amount":"3"}],"#,
            r#""created_height":1,"deadline_height":10,"key_id":5,"reject_reason":"no"}"#
        );
        assert_eq!(to_json_string(&request).unwrap(), json);
        assert_eq!(from_json::<KeyRequest>(json).unwrap(), request);

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
        let r = request(1, 1, &[]);
        assert_eq!(r.status_at(10), KeyRequestStatus::Pending);
        assert_eq!(r.status_at(11), KeyRequestStatus::Expired);
        assert_eq!(r.clone().into_response(10), r);
        let response = r.clone().into_response(11);
        assert_eq!(response.status, KeyRequestStatus::Expired);
        assert_eq!(
            KeyRequest {
                status: KeyRequestStatus::Pending,
                ..response
            },
            r
        );
    }
}
