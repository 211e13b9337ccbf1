//! The keyring tests' helpers: the kit's suite (`mpc-testing`) with one workspace (owners
//! `owner` and `co_owner`), three funded parties, and the keyring contract's messages and
//! queries.
#![allow(dead_code, unused_imports)]

use cosmwasm_std::{coin, from_json, Addr, Coin, StdResult};
use cw_multi_test::AppResponse;
use mpc_interfaces::keyring::{
    ExecuteMsg, KeyRequestResponse, KeyRequestStatus, KeyRequestsResponse, KeyResponse, KeyResult,
    KeyringCreated, KeyringResponse, QueryMsg,
};
use mpc_interfaces::{KeyType, Policy, RequestCreated};
use mpc_keyring::ContractError;

pub use mpc_testing::deploy::{keyring_contract, workspace_contract};
pub use mpc_testing::events::{actions, first_attr as attribute};
pub use mpc_testing::keys::{
    ecdsa_public_key, eddsa_public_key, non_point_eddsa_key, off_curve_ecdsa_key,
};
pub use mpc_testing::{contract_error as root_cause, Snapshot};

pub const DENOM: &str = "umpc";
pub const OTHER_DENOM: &str = "uother";
/// Parties hold only this denom at the start, so that what they earn in `DENOM` is visible.
pub const GAS_DENOM: &str = "ugas";
pub const KEY_FEE: u128 = 1_000;
pub const START_BALANCE: u128 = 1_000_000;

pub struct Suite {
    kit: mpc_testing::Suite,
    /// Owner of workspace 1 (with `co_owner`).
    pub owner: Addr,
    pub co_owner: Addr,
    pub stranger: Addr,
    /// Parties of the keyring `create_default_keyring` makes (2 of 3).
    pub parties: Vec<Addr>,
    pub workspace_id: u64,
}

mpc_testing::extends_kit!(Suite);

impl Suite {
    pub fn new() -> Self {
        Self::with_timeout(Some(100))
    }

    pub fn with_timeout(key_request_timeout_blocks: Option<u64>) -> Self {
        let mut kit = mpc_testing::Suite::with(|config| {
            config.key_request_timeout_blocks = key_request_timeout_blocks;
        })
        .unwrap();
        let [owner, co_owner, stranger] = ["owner", "co_owner", "stranger"].map(|n| kit.addr(n));
        let parties: Vec<Addr> =
            ["party1", "party2", "party3"].iter().map(|p| kit.addr(p)).collect();
        let admin = kit.admin.clone();
        for account in [&admin, &owner, &co_owner, &stranger] {
            kit.fund(account, &[coin(START_BALANCE, DENOM), coin(START_BALANCE, OTHER_DENOM)]);
        }
        for party in &parties {
            kit.fund(party, &[coin(START_BALANCE, GAS_DENOM)]);
        }
        let workspace_id = kit.create_workspace(&owner, &[&co_owner], None, None).unwrap();
        Suite { kit, owner, co_owner, stranger, parties, workspace_id }
    }

    /// The keyring's admin changes its fees (each given one).
    pub fn update_fees(
        &mut self, keyring_id: u64, key_req_fee: Option<Vec<Coin>>, sig_req_fee: Option<Vec<Coin>>,
    ) {
        let admin = self.admin.clone();
        let msg = ExecuteMsg::UpdateKeyring {
            keyring_id,
            description: None,
            party_threshold: None,
            key_req_fee,
            sig_req_fee,
        };
        self.execute(&admin, &msg, &[]).unwrap();
    }

    /// Every party of the keyring answers `request_id` with `public_key`: the key comes about.
    pub fn fulfil(&mut self, request_id: u64, public_key: &cosmwasm_std::Binary) -> AppResponse {
        let mut last = None;
        for party in self.parties.clone() {
            last = Some(self.submit(&party, request_id, success(public_key)).unwrap());
        }
        last.expect("parties")
    }

    pub fn execute(
        &mut self, sender: &Addr, msg: &ExecuteMsg, funds: &[Coin],
    ) -> StdResult<AppResponse> {
        let keyring = self.kit.keyring.clone();
        self.kit.execute(&keyring, sender, msg, funds)
    }

    /// 2-of-3 keyring with `KEY_FEE` as key fee (the kit's `create_keyring`); returns its id.
    pub fn create_default_keyring(&mut self) -> u64 {
        let (admin, parties) = (self.admin.clone(), self.parties.clone());
        let (key_fee, sig_fee) = (vec![coin(KEY_FEE, DENOM)], vec![coin(10, DENOM)]);
        self.kit.create_keyring(&admin, &parties, 2, key_fee, sig_fee).unwrap()
    }

    /// A keyring of the suite's three parties with `party_threshold`, the key fee `key_req_fee`
    /// and no signature fee (the kit's `create_keyring`); returns its id.
    pub fn create_keyring_with(&mut self, party_threshold: u32, key_req_fee: Vec<Coin>) -> u64 {
        let (admin, parties) = (self.admin.clone(), self.parties.clone());
        self.kit.create_keyring(&admin, &parties, party_threshold, key_req_fee, vec![]).unwrap()
    }

    pub fn request_key_msg(&self, keyring_id: u64, key_type: KeyType) -> ExecuteMsg {
        ExecuteMsg::RequestKey {
            workspace_id: self.workspace_id,
            keyring_id,
            key_type,
            timeout_blocks: None,
            max_fee: None,
        }
    }

    /// The owner requests a key, paying the default fee; returns the request id.
    pub fn request_key(&mut self, keyring_id: u64, key_type: KeyType) -> u64 {
        let owner = self.owner.clone();
        let msg = self.request_key_msg(keyring_id, key_type);
        let res = self.execute(&owner, &msg, &[coin(KEY_FEE, DENOM)]).unwrap();
        let created: RequestCreated = from_json(res.data.as_ref().expect("response data")).unwrap();
        assert_eq!(
            attribute(&res, "wasm-key_request", "request_id"),
            created.request_id.to_string()
        );
        created.request_id
    }

    pub fn submit(
        &mut self, party: &Addr, request_id: u64, result: KeyResult,
    ) -> StdResult<AppResponse> {
        self.execute(party, &ExecuteMsg::SubmitKeyResult { request_id, result }, &[])
    }

    pub fn query<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.kit.query(&self.kit.keyring, msg).unwrap()
    }

    pub fn query_err(&self, msg: &QueryMsg) -> String {
        self.kit.query::<cosmwasm_std::Empty>(&self.kit.keyring, msg).unwrap_err().to_string()
    }

    pub fn keyring(&self, keyring_id: u64) -> KeyringResponse {
        self.query(&QueryMsg::Keyring { keyring_id })
    }

    pub fn request(&self, request_id: u64) -> KeyRequestResponse {
        self.query(&QueryMsg::KeyRequest { request_id })
    }

    pub fn key(&self, key_id: u64) -> KeyResponse {
        self.query(&QueryMsg::Key { key_id })
    }

    pub fn requests_by_keyring(
        &self, keyring_id: u64, status: KeyRequestStatus, start_after: Option<u64>,
        limit: Option<u32>,
    ) -> Vec<u64> {
        let res: KeyRequestsResponse =
            self.query(&QueryMsg::KeyRequestsByKeyring { keyring_id, status, start_after, limit });
        res.requests.iter().map(|r| r.id).collect()
    }

    /// The kit's check on the keyring contract: `msg` fails with `expected`, nothing changed.
    pub fn assert_refused(
        &mut self, sender: &Addr, msg: &ExecuteMsg, funds: &[Coin], expected: ContractError,
    ) {
        let keyring = self.kit.keyring.clone();
        self.kit.assert_refused(&keyring, sender, msg, funds, expected);
    }
}

pub fn success(public_key: &cosmwasm_std::Binary) -> KeyResult {
    KeyResult::Success { public_key: public_key.clone() }
}

pub fn failure(reason: &str) -> KeyResult {
    KeyResult::Failure { reason: reason.to_string() }
}

pub fn any_owner_policy() -> Option<Policy> {
    Some(Policy::any_owner())
}
