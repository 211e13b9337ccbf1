//! A chain with the real workspace contract and the keyring contract, plus the accounts, keys and
//! checks the keyring tests share.
#![allow(dead_code)]

use cosmwasm_std::{coin, Addr, Binary, Coin, Empty, StdError, StdResult};
use cw_multi_test::{App, AppBuilder, AppResponse, Contract, ContractWrapper, Executor};
use k256::elliptic_curve::sec1::ToEncodedPoint;
use mpc_interfaces::keyring::{
    ConfigResponse, ExecuteMsg, InstantiateMsg, KeyRequestResponse, KeyRequestStatus,
    KeyRequestsResponse, KeyResponse, KeyResult, KeyringResponse, KeyringsResponse, KeysResponse,
    QueryMsg,
};
use mpc_interfaces::workspace::{
    ExecuteMsg as WorkspaceExecuteMsg, InstantiateMsg as WorkspaceInstantiateMsg,
};
use mpc_interfaces::{KeyType, Policy};
use mpc_keyring::ContractError;

pub const DENOM: &str = "umpc";
pub const OTHER_DENOM: &str = "uother";
/// Parties hold only this denom at the start, so that what they earn in `DENOM` is visible.
pub const GAS_DENOM: &str = "ugas";
pub const KEY_FEE: u128 = 1_000;
pub const START_BALANCE: u128 = 1_000_000;

pub fn keyring_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            mpc_keyring::contract::execute,
            mpc_keyring::contract::instantiate,
            mpc_keyring::contract::query,
        )
        .with_migrate(mpc_keyring::contract::migrate),
    )
}

pub fn workspace_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        mpc_workspace::contract::execute,
        mpc_workspace::contract::instantiate,
        mpc_workspace::contract::query,
    ))
}

/// secp256k1 key made from a fixed secret, compressed SEC1 (33 bytes).
pub fn ecdsa_public_key(seed: u8) -> Binary {
    let secret = k256::SecretKey::from_slice(&[seed; 32]).expect("valid scalar");
    let compressed = secret
        .public_key()
        .to_encoded_point(true)
        .as_bytes()
        .to_vec();
    assert_eq!(compressed.len(), 33, "compressed encoding");
    Binary::from(compressed)
}

/// Ed25519 key made from a fixed secret (32 bytes).
pub fn eddsa_public_key(seed: u8) -> Binary {
    let signing = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    Binary::from(signing.verifying_key().to_bytes().to_vec())
}

/// 32 bytes that do not decompress to an Ed25519 point (ed25519-dalek says so).
pub fn non_point_eddsa_key() -> [u8; 32] {
    (0u8..=255)
        .map(|b| {
            let mut bytes = [0u8; 32];
            bytes[0] = b;
            bytes[31] = 0x7f;
            bytes
        })
        .find(|bytes| ed25519_dalek::VerifyingKey::from_bytes(bytes).is_err())
        .expect("some y does not decompress")
}

/// A 33-byte 0x02-prefixed value whose x coordinate is not on secp256k1 (k256 says so).
pub fn off_curve_ecdsa_key() -> Binary {
    (1u8..=255)
        .map(|x| {
            let mut bytes = [0u8; 33];
            bytes[0] = 0x02;
            bytes[32] = x;
            bytes
        })
        .find(|bytes| k256::PublicKey::from_sec1_bytes(bytes).is_err())
        .map(|bytes| Binary::from(bytes.to_vec()))
        .expect("some small x is not on the curve")
}

pub struct Suite {
    pub app: App,
    pub keyring: Addr,
    pub workspace: Addr,
    /// Creates keyrings in these tests.
    pub admin: Addr,
    /// Owner of workspace 1 (with `co_owner`).
    pub owner: Addr,
    pub co_owner: Addr,
    pub stranger: Addr,
    /// Parties of the keyring `create_default_keyring` makes (2 of 3).
    pub parties: Vec<Addr>,
    pub workspace_id: u64,
}

impl Suite {
    pub fn new() -> Self {
        Self::with_timeout(Some(100))
    }

    pub fn with_timeout(key_request_timeout_blocks: Option<u64>) -> Self {
        let mut app = AppBuilder::new().build(|_, _, _| {});
        let api = app.api();
        let admin = api.addr_make("admin");
        let owner = api.addr_make("owner");
        let co_owner = api.addr_make("co_owner");
        let stranger = api.addr_make("stranger");
        let parties: Vec<Addr> = ["party1", "party2", "party3"]
            .iter()
            .map(|p| api.addr_make(p))
            .collect();
        for account in [&admin, &owner, &co_owner, &stranger] {
            app.init_modules(|router, _, storage| {
                router.bank.init_balance(
                    storage,
                    account,
                    vec![coin(START_BALANCE, DENOM), coin(START_BALANCE, OTHER_DENOM)],
                )
            })
            .unwrap();
        }

        for party in &parties {
            app.init_modules(|router, _, storage| {
                router
                    .bank
                    .init_balance(storage, party, vec![coin(START_BALANCE, GAS_DENOM)])
            })
            .unwrap();
        }

        let workspace_code = app.store_code(workspace_contract());
        let workspace = app
            .instantiate_contract(
                workspace_code,
                admin.clone(),
                &WorkspaceInstantiateMsg {
                    action_timeout_blocks: None,
                },
                &[],
                "workspace",
                None,
            )
            .unwrap();
        let keyring_code = app.store_code(keyring_contract());
        let keyring = app
            .instantiate_contract(
                keyring_code,
                admin.clone(),
                &InstantiateMsg {
                    workspace_contract: workspace.to_string(),
                    key_request_timeout_blocks,
                },
                &[],
                "keyring",
                Some(admin.to_string()),
            )
            .unwrap();
        app.execute_contract(
            owner.clone(),
            workspace.clone(),
            &WorkspaceExecuteMsg::CreateWorkspace {
                additional_owners: vec![co_owner.to_string()],
                admin_policy: None,
                sign_policy: None,
                alias: None,
            },
            &[],
        )
        .unwrap();
        Suite {
            app,
            keyring,
            workspace,
            admin,
            owner,
            co_owner,
            stranger,
            parties,
            workspace_id: 1,
        }
    }

    pub fn execute(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.keyring.clone(), msg, funds)
    }

    /// 2-of-3 keyring with `KEY_FEE` as key fee; returns its id.
    pub fn create_default_keyring(&mut self) -> u64 {
        let admin = self.admin.clone();
        let msg = ExecuteMsg::CreateKeyring {
            description: "test keyring".to_string(),
            parties: self.parties.iter().map(Addr::to_string).collect(),
            party_threshold: 2,
            key_req_fee: vec![coin(KEY_FEE, DENOM)],
            sig_req_fee: vec![coin(10, DENOM)],
        };
        let res = self.execute(&admin, &msg, &[]).unwrap();
        attribute(&res, "wasm-keyring", "keyring_id")
            .parse()
            .unwrap()
    }

    pub fn request_key_msg(&self, keyring_id: u64, key_type: KeyType) -> ExecuteMsg {
        ExecuteMsg::RequestKey {
            workspace_id: self.workspace_id,
            keyring_id,
            key_type,
            timeout_blocks: None,
        }
    }

    /// The owner requests a key, paying the default fee; returns the request id.
    pub fn request_key(&mut self, keyring_id: u64, key_type: KeyType) -> u64 {
        let owner = self.owner.clone();
        let msg = self.request_key_msg(keyring_id, key_type);
        let res = self.execute(&owner, &msg, &[coin(KEY_FEE, DENOM)]).unwrap();
        attribute(&res, "wasm-key_request", "request_id")
            .parse()
            .unwrap()
    }

    pub fn submit(
        &mut self,
        party: &Addr,
        request_id: u64,
        result: KeyResult,
    ) -> StdResult<AppResponse> {
        self.execute(
            party,
            &ExecuteMsg::SubmitKeyResult { request_id, result },
            &[],
        )
    }

    pub fn advance(&mut self, blocks: u64) {
        self.app.update_block(|b| b.height += blocks);
    }

    pub fn height(&self) -> u64 {
        self.app.block_info().height
    }

    pub fn query<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.app
            .wrap()
            .query_wasm_smart(self.keyring.clone(), msg)
            .unwrap()
    }

    pub fn query_err(&self, msg: &QueryMsg) -> String {
        self.app
            .wrap()
            .query_wasm_smart::<cosmwasm_std::Empty>(self.keyring.clone(), msg)
            .unwrap_err()
            .to_string()
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
        &self,
        keyring_id: u64,
        status: KeyRequestStatus,
        start_after: Option<u64>,
        limit: Option<u32>,
    ) -> Vec<u64> {
        let res: KeyRequestsResponse = self.query(&QueryMsg::KeyRequestsByKeyring {
            keyring_id,
            status,
            start_after,
            limit,
        });
        res.requests.iter().map(|r| r.id).collect()
    }

    pub fn balance(&self, addr: &Addr, denom: &str) -> u128 {
        self.app
            .wrap()
            .query_balance(addr, denom)
            .unwrap()
            .amount
            .to_string()
            .parse()
            .unwrap()
    }

    /// Everything a user can observe: every keyring, request and key, and every balance.
    pub fn snapshot(&self) -> Snapshot {
        let keyrings: KeyringsResponse = self.query(&QueryMsg::Keyrings {
            start_after: None,
            limit: Some(100),
        });
        let requests = (1..)
            .map_while(|id| {
                self.app
                    .wrap()
                    .query_wasm_smart(
                        self.keyring.clone(),
                        &QueryMsg::KeyRequest { request_id: id },
                    )
                    .ok()
            })
            .collect();
        let keys: KeysResponse = self.query(&QueryMsg::KeysByWorkspace {
            workspace_id: self.workspace_id,
            start_after: None,
            limit: Some(100),
        });
        let mut accounts = vec![
            self.keyring.clone(),
            self.admin.clone(),
            self.owner.clone(),
            self.co_owner.clone(),
            self.stranger.clone(),
        ];
        accounts.extend(self.parties.iter().cloned());
        let balances = accounts
            .iter()
            .flat_map(|a| {
                [DENOM, OTHER_DENOM, GAS_DENOM].map(|d| (a.clone(), d, self.balance(a, d)))
            })
            .collect();
        Snapshot {
            config: self.query(&QueryMsg::Config {}),
            keyrings: keyrings.keyrings,
            requests,
            keys: keys.keys,
            balances,
        }
    }

    /// Runs a message that must fail with `expected`, and checks that it changed nothing.
    pub fn assert_refused(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
        funds: &[Coin],
        expected: ContractError,
    ) {
        let before = self.snapshot();
        let err = self.execute(sender, msg, funds).unwrap_err();
        assert_eq!(root_cause(&err), expected.to_string());
        assert_eq!(self.snapshot(), before, "a refused message changed state");
    }
}

#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub config: ConfigResponse,
    pub keyrings: Vec<KeyringResponse>,
    pub requests: Vec<KeyRequestResponse>,
    pub keys: Vec<KeyResponse>,
    pub balances: Vec<(Addr, &'static str, u128)>,
}

/// The contract's own error message. cw-multi-test 3 hands the contract error back as text inside
/// its context ("Error executing WasmMsg: ...\nkind: Other, error: <message>").
pub fn root_cause(err: &StdError) -> String {
    let mut cause: &dyn std::error::Error = &**err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    let text = cause.to_string();
    match text.rfind("\nkind: ") {
        Some(at) => {
            let tail = &text[at + 1..];
            tail.split_once(", error: ")
                .map_or(tail, |(_, message)| message)
                .to_string()
        }
        None => text,
    }
}

/// Value of the first attribute `key` on an event of type `event_type`.
pub fn attribute(res: &AppResponse, event_type: &str, key: &str) -> String {
    res.events
        .iter()
        .filter(|e| e.ty == event_type)
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .unwrap_or_else(|| panic!("no {key} on {event_type}: {:?}", res.events))
        .value
        .clone()
}

/// The `action` attributes of every event of `event_type`, in order.
pub fn actions(res: &AppResponse, event_type: &str) -> Vec<String> {
    res.events
        .iter()
        .filter(|e| e.ty == event_type)
        .filter_map(|e| e.attributes.iter().find(|a| a.key == "action"))
        .map(|a| a.value.clone())
        .collect()
}

pub fn success(public_key: &Binary) -> KeyResult {
    KeyResult::Success {
        public_key: public_key.clone(),
    }
}

pub fn failure(reason: &str) -> KeyResult {
    KeyResult::Failure {
        reason: reason.to_string(),
    }
}

pub fn any_owner_policy() -> Option<Policy> {
    Some(Policy::any_owner())
}
