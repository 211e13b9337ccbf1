//! A chain with the three contracts, one workspace (owners alice, bob, carol), one keyring
//! (parties p1, p2, p3, threshold 2) and helpers to make keys, requests and real signatures.

use cosmwasm_std::{coin, Addr, Binary, Coin, Empty, Event, StdResult};
use cw_multi_test::{App, AppResponse, Contract, ContractWrapper, Executor};
use k256::ecdsa::signature::hazmat::PrehashSigner;
use mpc_interfaces::keyring::{
    ExecuteMsg as KeyringExecuteMsg, InstantiateMsg as KeyringInstantiateMsg, KeyRequestResponse,
    KeyResult, QueryMsg as KeyringQueryMsg,
};
use mpc_interfaces::signature_requests::{
    ConfigResponse, ExecuteMsg, InstantiateMsg, QueryMsg, SignResult, SignatureRequestResponse,
    SignatureRequestsResponse,
};
use mpc_interfaces::workspace::{
    AdminAction, ExecuteMsg as WorkspaceExecuteMsg, InstantiateMsg as WorkspaceInstantiateMsg,
};
use mpc_interfaces::{KeyType, Policy};
use mpc_signature_requests::ContractError;

pub const DENOM: &str = "uatom";
pub const OTHER_DENOM: &str = "ufoo";
pub const FEE: u128 = 301;
pub const START_BALANCE: u128 = 1_000_000;
pub const APPROVAL_TIMEOUT: u64 = 50;
pub const MPC_TIMEOUT: u64 = 20;

pub fn workspace_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        mpc_workspace::contract::execute,
        mpc_workspace::contract::instantiate,
        mpc_workspace::contract::query,
    ))
}

pub fn keyring_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        mpc_keyring::contract::execute,
        mpc_keyring::contract::instantiate,
        mpc_keyring::contract::query,
    ))
}

pub fn signature_requests_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            mpc_signature_requests::contract::execute,
            mpc_signature_requests::contract::instantiate,
            mpc_signature_requests::contract::query,
        )
        .with_reply(mpc_signature_requests::contract::reply)
        .with_migrate(mpc_signature_requests::contract::migrate),
    )
}

pub struct Suite {
    pub app: App,
    pub workspace: Addr,
    pub keyring: Addr,
    pub contract: Addr,
    pub alice: Addr,
    pub bob: Addr,
    pub carol: Addr,
    pub outsider: Addr,
    pub keyring_admin: Addr,
    pub parties: Vec<Addr>,
    pub workspace_id: u64,
    pub keyring_id: u64,
    pub ecdsa: k256::ecdsa::SigningKey,
    pub eddsa: ed25519_dalek::SigningKey,
}

impl Suite {
    /// Workspace with the given sign policy (None: any one owner), owned by alice, bob and carol.
    pub fn with_policy(sign_policy: Option<Policy>) -> Self {
        Self::build(sign_policy, |_| vec![])
    }

    /// As `with_policy`; the accounts `before_workspace` returns (e.g. callback receiver
    /// contracts it instantiates) become owners too.
    pub fn build(
        sign_policy: Option<Policy>,
        before_workspace: impl FnOnce(&mut App) -> Vec<Addr>,
    ) -> Self {
        let mut app = App::default();
        let api = app.api();
        let alice = api.addr_make("alice");
        let bob = api.addr_make("bob");
        let carol = api.addr_make("carol");
        let outsider = api.addr_make("outsider");
        let keyring_admin = api.addr_make("keyring_admin");
        let parties: Vec<Addr> = ["p1", "p2", "p3"]
            .iter()
            .map(|p| api.addr_make(p))
            .collect();
        let funded = [&alice, &bob, &carol, &outsider];
        app.init_modules(|router, _, storage| {
            for account in funded {
                router
                    .bank
                    .init_balance(
                        storage,
                        account,
                        vec![coin(START_BALANCE, DENOM), coin(START_BALANCE, OTHER_DENOM)],
                    )
                    .unwrap();
            }
        });

        let workspace_code = app.store_code(workspace_contract());
        let keyring_code = app.store_code(keyring_contract());
        let contract_code = app.store_code(signature_requests_contract());
        let workspace = app
            .instantiate_contract(
                workspace_code,
                alice.clone(),
                &WorkspaceInstantiateMsg {
                    action_timeout_blocks: None,
                },
                &[],
                "workspace",
                None,
            )
            .unwrap();
        let keyring = app
            .instantiate_contract(
                keyring_code,
                alice.clone(),
                &KeyringInstantiateMsg {
                    workspace_contract: workspace.to_string(),
                    key_request_timeout_blocks: None,
                },
                &[],
                "keyring",
                None,
            )
            .unwrap();
        let contract = app
            .instantiate_contract(
                contract_code,
                alice.clone(),
                &InstantiateMsg {
                    workspace_contract: workspace.to_string(),
                    keyring_contract: keyring.to_string(),
                    approval_timeout_blocks: Some(APPROVAL_TIMEOUT),
                    mpc_timeout_blocks: Some(MPC_TIMEOUT),
                },
                &[],
                "signature-requests",
                Some(alice.to_string()),
            )
            .unwrap();

        let mut additional_owners = vec![bob.to_string(), carol.to_string()];
        additional_owners.extend(before_workspace(&mut app).iter().map(|a| a.to_string()));
        let res = app
            .execute_contract(
                alice.clone(),
                workspace.clone(),
                &WorkspaceExecuteMsg::CreateWorkspace {
                    additional_owners,
                    admin_policy: None,
                    sign_policy,
                    alias: None,
                },
                &[],
            )
            .unwrap();
        let workspace_id = event_attr(&res, "wasm-workspace", "workspace_id")
            .parse()
            .unwrap();
        let res = app
            .execute_contract(
                keyring_admin.clone(),
                keyring.clone(),
                &KeyringExecuteMsg::CreateKeyring {
                    description: "test keyring".to_string(),
                    parties: parties.iter().map(|p| p.to_string()).collect(),
                    party_threshold: 2,
                    key_req_fee: vec![],
                    sig_req_fee: vec![coin(FEE, DENOM)],
                },
                &[],
            )
            .unwrap();
        let keyring_id = event_attr(&res, "wasm-keyring", "keyring_id")
            .parse()
            .unwrap();
        Suite {
            app,
            workspace,
            keyring,
            contract,
            alice,
            bob,
            carol,
            outsider,
            keyring_admin,
            parties,
            workspace_id,
            keyring_id,
            ecdsa: k256::ecdsa::SigningKey::from_bytes(&[7u8; 32].into()).unwrap(),
            eddsa: ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]),
        }
    }

    pub fn public_key(&self, key_type: KeyType) -> Binary {
        match key_type {
            KeyType::EcdsaSecp256k1 => Binary::from(
                self.ecdsa
                    .verifying_key()
                    .to_encoded_point(true)
                    .as_bytes()
                    .to_vec(),
            ),
            KeyType::EddsaEd25519 => Binary::from(self.eddsa.verifying_key().to_bytes().to_vec()),
        }
    }

    /// A key made by the keyring: alice asks, every party answers with our public key. A
    /// `sign_policy` becomes the key's own through the workspace's admin action `SetKeyPolicy`
    /// (alice alone meets the suite's default admin policy).
    pub fn create_key(&mut self, key_type: KeyType, sign_policy: Option<Policy>) -> u64 {
        let res = self
            .app
            .execute_contract(
                self.alice.clone(),
                self.keyring.clone(),
                &KeyringExecuteMsg::RequestKey {
                    workspace_id: self.workspace_id,
                    keyring_id: self.keyring_id,
                    key_type,
                    timeout_blocks: None,
                },
                &[],
            )
            .unwrap();
        let request_id: u64 = event_attr(&res, "wasm-key_request", "request_id")
            .parse()
            .unwrap();
        let public_key = self.public_key(key_type);
        for party in self.parties.clone() {
            let request: KeyRequestResponse = self
                .app
                .wrap()
                .query_wasm_smart(&self.keyring, &KeyringQueryMsg::KeyRequest { request_id })
                .unwrap();
            if request.key_id.is_some() {
                break;
            }
            self.app
                .execute_contract(
                    party,
                    self.keyring.clone(),
                    &KeyringExecuteMsg::SubmitKeyResult {
                        request_id,
                        result: KeyResult::Success {
                            public_key: public_key.clone(),
                        },
                    },
                    &[],
                )
                .unwrap();
        }
        let request: KeyRequestResponse = self
            .app
            .wrap()
            .query_wasm_smart(&self.keyring, &KeyringQueryMsg::KeyRequest { request_id })
            .unwrap();
        let key_id = request.key_id.expect("key created");
        if let Some(policy) = sign_policy {
            self.set_key_policy(&self.alice.clone(), key_id, Some(policy))
                .unwrap();
        }
        key_id
    }

    /// `sender` proposes an admin action on the suite's workspace (executes at once when the
    /// admin policy is met by the proposer alone).
    pub fn admin_action(&mut self, sender: &Addr, action: AdminAction) -> StdResult<AppResponse> {
        self.app.execute_contract(
            sender.clone(),
            self.workspace.clone(),
            &WorkspaceExecuteMsg::ProposeAction {
                workspace_id: self.workspace_id,
                action,
                timeout_blocks: None,
            },
            &[],
        )
    }

    pub fn set_key_policy(
        &mut self,
        sender: &Addr,
        key_id: u64,
        policy: Option<Policy>,
    ) -> StdResult<AppResponse> {
        self.admin_action(sender, AdminAction::SetKeyPolicy { key_id, policy })
    }

    pub fn fee() -> Vec<Coin> {
        vec![coin(FEE, DENOM)]
    }

    pub fn request_msg(key_id: u64, items: Vec<Binary>) -> ExecuteMsg {
        ExecuteMsg::RequestSignature {
            key_id,
            items,
            approval_timeout_blocks: None,
            mpc_timeout_blocks: None,
            callback: false,
        }
    }

    pub fn execute(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.contract.clone(), msg, funds)
    }

    /// `sender` requests signatures over `items` with `key_id`, paying the fee; returns the id.
    pub fn request(&mut self, sender: &Addr, key_id: u64, items: Vec<Binary>) -> u64 {
        let res = self
            .execute(sender, &Self::request_msg(key_id, items), &Self::fee())
            .unwrap();
        event_attr(&res, "wasm-signature_request", "request_id")
            .parse()
            .unwrap()
    }

    pub fn approve(&mut self, sender: &Addr, request_id: u64) -> StdResult<AppResponse> {
        self.execute(sender, &ExecuteMsg::Approve { request_id }, &[])
    }

    pub fn reject(&mut self, sender: &Addr, request_id: u64) -> StdResult<AppResponse> {
        self.execute(sender, &ExecuteMsg::Reject { request_id }, &[])
    }

    pub fn submit(
        &mut self,
        party: &Addr,
        request_id: u64,
        result: SignResult,
    ) -> StdResult<AppResponse> {
        self.execute(
            party,
            &ExecuteMsg::SubmitSignatureResult { request_id, result },
            &[],
        )
    }

    /// Valid signatures over the request's items, made with the key's secret.
    pub fn sign(&self, request_id: u64) -> SignResult {
        let request = self.query_request(request_id);
        SignResult::Success {
            signatures: request
                .items
                .iter()
                .map(|item| self.sign_item(request.key_type, item))
                .collect(),
        }
    }

    pub fn sign_item(&self, key_type: KeyType, item: &[u8]) -> Binary {
        match key_type {
            KeyType::EcdsaSecp256k1 => {
                let signature: k256::ecdsa::Signature = self.ecdsa.sign_prehash(item).unwrap();
                let signature = signature.normalize_s().unwrap_or(signature);
                Binary::from(signature.to_bytes().to_vec())
            }
            KeyType::EddsaEd25519 => {
                use ed25519_dalek::Signer;
                Binary::from(self.eddsa.sign(item).to_bytes().to_vec())
            }
        }
    }

    pub fn failure(reason: &str) -> SignResult {
        SignResult::Failure {
            reason: reason.to_string(),
        }
    }

    pub fn advance(&mut self, blocks: u64) {
        self.app.update_block(|block| {
            block.height += blocks;
            block.time = block.time.plus_seconds(5 * blocks);
        });
    }

    pub fn height(&self) -> u64 {
        self.app.block_info().height
    }

    pub fn query<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.app
            .wrap()
            .query_wasm_smart(&self.contract, msg)
            .unwrap()
    }

    pub fn config(&self) -> ConfigResponse {
        self.query(&QueryMsg::Config {})
    }

    pub fn query_request(&self, request_id: u64) -> SignatureRequestResponse {
        self.query(&QueryMsg::Request { request_id })
    }

    pub fn list(&self, msg: &QueryMsg) -> Vec<u64> {
        let page: SignatureRequestsResponse = self.query(msg);
        page.requests.iter().map(|r| r.id).collect()
    }

    pub fn balance(&self, account: &Addr, denom: &str) -> u128 {
        self.app
            .wrap()
            .query_balance(account, denom)
            .unwrap()
            .amount
            .to_string()
            .parse()
            .unwrap()
    }

    /// Every account the tests touch.
    pub fn accounts(&self) -> Vec<Addr> {
        let mut accounts = vec![
            self.alice.clone(),
            self.bob.clone(),
            self.carol.clone(),
            self.outsider.clone(),
            self.keyring_admin.clone(),
            self.contract.clone(),
            self.keyring.clone(),
            self.workspace.clone(),
        ];
        accounts.extend(self.parties.iter().cloned());
        accounts
    }

    /// What a user can see: every request (ids are sequential from 1) and every balance.
    pub fn snapshot(&self) -> (Vec<Option<SignatureRequestResponse>>, Vec<(u128, u128)>) {
        let requests: Vec<_> = (1..)
            .map(|request_id| {
                self.app
                    .wrap()
                    .query_wasm_smart(&self.contract, &QueryMsg::Request { request_id })
                    .ok()
            })
            .take_while(Option::is_some)
            .collect();
        let balances = self
            .accounts()
            .iter()
            .map(|a| (self.balance(a, DENOM), self.balance(a, OTHER_DENOM)))
            .collect();
        (requests, balances)
    }

    /// Executes `msg`, expects exactly `expected`, and checks that nothing a user can see changed.
    pub fn assert_refused(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
        funds: &[Coin],
        expected: ContractError,
    ) {
        let before = (self.snapshot(), self.config());
        let err = self.execute(sender, msg, funds).unwrap_err();
        assert_error(err, expected);
        assert_eq!(
            (self.snapshot(), self.config()),
            before,
            "a refused message changed state"
        );
    }
}

pub fn event_attr(res: &AppResponse, ty: &str, key: &str) -> String {
    res.events
        .iter()
        .filter(|e| e.ty == ty)
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .unwrap_or_else(|| panic!("no {key} on {ty} in {:?}", res.events))
        .value
        .clone()
}

/// The `wasm-signature_request` events of a response, with their `action`.
pub fn request_events(res: &AppResponse) -> Vec<&Event> {
    res.events
        .iter()
        .filter(|e| e.ty == "wasm-signature_request")
        .collect()
}

pub fn actions(res: &AppResponse) -> Vec<String> {
    request_events(res)
        .iter()
        .map(|e| attr_value(e, "action"))
        .collect()
}

/// Every value of a repeated attribute, in order.
pub fn attr_values(event: &Event, key: &str) -> Vec<String> {
    event
        .attributes
        .iter()
        .filter(|a| a.key == key)
        .map(|a| a.value.clone())
        .collect()
}

pub fn attr_value(event: &Event, key: &str) -> String {
    event
        .attributes
        .iter()
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
        .unwrap_or_default()
}

pub fn hash(seed: u8) -> Binary {
    Binary::from(vec![seed; 32])
}

/// A contract error reaches the caller wrapped in the chain's context; the contract's own
/// message is the last line, after the error kind.
pub fn contract_error(err: cosmwasm_std::StdError) -> String {
    let text = err.to_string();
    let last = text.lines().last().unwrap_or_default();
    last.strip_prefix("kind: Other, error: ")
        .unwrap_or(last)
        .to_string()
}

pub fn assert_error(err: cosmwasm_std::StdError, expected: ContractError) {
    assert_eq!(contract_error(err), expected.to_string());
}
