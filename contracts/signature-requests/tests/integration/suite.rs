//! The signature-requests tests' helpers: the kit's suite (`mpc-testing`) with one workspace
//! (owners alice, bob, carol), one keyring (parties p1, p2, p3, threshold 2), the signature-requests
//! contract's messages and queries, and real signatures by the kit's seeded keys.

use cosmwasm_std::{coin, Addr, Binary, Coin, Event, StdResult};
use cw_multi_test::{App, AppResponse};
use mpc_interfaces::keyring::{
    ExecuteMsg as KeyringExecuteMsg, KeyRequestResponse, KeyResult, QueryMsg as KeyringQueryMsg,
};
use mpc_interfaces::signature_requests::{
    ConfigResponse, ExecuteMsg, QueryMsg, RequestsAwaitingApproverResponse, SignResult,
    SignatureRequestResponse, SignatureRequestsResponse,
};
use mpc_interfaces::workspace::{AdminAction, ExecuteMsg as WorkspaceExecuteMsg};
use mpc_interfaces::{InboxCursor, KeyType, Policy, RequestCreated};
use mpc_signature_requests::ContractError;
use mpc_testing::keys;

pub use mpc_testing::contract_error;
pub use mpc_testing::events::{attr as attr_value, attrs as attr_values, first_attr as event_attr};

pub const DENOM: &str = "uatom";
pub const OTHER_DENOM: &str = "ufoo";
pub const FEE: u128 = 301;
pub const START_BALANCE: u128 = 1_000_000;
pub const APPROVAL_TIMEOUT: u64 = 50;
pub const MPC_TIMEOUT: u64 = 20;

pub struct Suite {
    kit: mpc_testing::Suite,
    /// The signature-requests contract (the one these tests are about).
    pub contract: Addr,
    pub alice: Addr,
    pub bob: Addr,
    pub carol: Addr,
    pub outsider: Addr,
    pub keyring_admin: Addr,
    pub parties: Vec<Addr>,
    pub workspace_id: u64,
    pub keyring_id: u64,
    /// The secret of the first ECDSA key the suite makes.
    pub ecdsa: k256::ecdsa::SigningKey,
    /// Every key made: (key id, type, seed of its secret). A public key is one key of the
    /// keyring contract, so each key after the first of its type gets a secret of its own.
    keys: Vec<(u64, KeyType, u8)>,
}

/// The seeds of the first ECDSA and EdDSA keys; later keys take seeds from `NEXT_SEED` on.
const ECDSA_SEED: u8 = 7;
const EDDSA_SEED: u8 = 9;
const NEXT_SEED: u8 = 20;

mpc_testing::extends_kit!(Suite);

impl Suite {
    /// Workspace with the given sign policy (None: any one owner), owned by alice, bob and carol.
    pub fn with_policy(sign_policy: Option<Policy>) -> Self {
        Self::build(sign_policy, |_| vec![])
    }

    /// As `with_policy`; the accounts `before_workspace` returns (e.g. callback receiver
    /// contracts it instantiates) become owners too. alice deploys the contracts.
    pub fn build(
        sign_policy: Option<Policy>, before_workspace: impl FnOnce(&mut App) -> Vec<Addr>,
    ) -> Self {
        let alice = mpc_testing::addr("alice");
        let mut kit = mpc_testing::Suite::with(|config| {
            config.admin = alice.clone();
            config.approval_timeout_blocks = Some(APPROVAL_TIMEOUT);
            config.mpc_timeout_blocks = Some(MPC_TIMEOUT);
        })
        .unwrap();
        let [bob, carol, outsider, keyring_admin] =
            ["bob", "carol", "outsider", "keyring_admin"].map(|n| kit.addr(n));
        let parties: Vec<Addr> = ["p1", "p2", "p3"].iter().map(|p| kit.addr(p)).collect();
        for account in [&alice, &bob, &carol, &outsider] {
            kit.fund(account, &[coin(START_BALANCE, DENOM), coin(START_BALANCE, OTHER_DENOM)]);
        }
        for account in parties.iter().chain([&keyring_admin]) {
            kit.watch(account);
        }

        let extra_owners = before_workspace(&mut kit.app);
        for owner in &extra_owners {
            kit.watch(owner);
        }
        let mut additional_owners = vec![&bob, &carol];
        additional_owners.extend(&extra_owners);
        let workspace_id =
            kit.create_workspace(&alice, &additional_owners, None, sign_policy).unwrap();
        let keyring_id = kit
            .create_keyring(&keyring_admin, &parties, 2, vec![], vec![coin(FEE, DENOM)])
            .unwrap();
        Suite {
            contract: kit.signature_requests.clone(),
            kit,
            alice,
            bob,
            carol,
            outsider,
            keyring_admin,
            parties,
            workspace_id,
            keyring_id,
            ecdsa: keys::ecdsa_signing_key(ECDSA_SEED),
            keys: vec![],
        }
    }

    /// The public key of the first key of `key_type`.
    pub fn public_key(&self, key_type: KeyType) -> Binary {
        match key_type {
            KeyType::EcdsaSecp256k1 => keys::ecdsa_public_key(ECDSA_SEED),
            KeyType::EddsaEd25519 => keys::eddsa_public_key(EDDSA_SEED),
        }
    }

    /// The seed of the next key of `key_type`: the first one's, then a fresh one each.
    fn next_seed(&self, key_type: KeyType) -> u8 {
        if self.keys.iter().all(|(_, t, _)| *t != key_type) {
            return match key_type {
                KeyType::EcdsaSecp256k1 => ECDSA_SEED,
                KeyType::EddsaEd25519 => EDDSA_SEED,
            };
        }
        NEXT_SEED + self.keys.len() as u8
    }

    fn seed_of(&self, key_id: u64) -> u8 {
        self.keys.iter().find(|(id, _, _)| *id == key_id).expect("a key the suite made").2
    }

    /// A key made by the keyring: alice asks, every party answers with our public key. A
    /// `sign_policy` becomes the key's own through the workspace's admin action `SetKeyPolicy`
    /// (alice alone meets the suite's default admin policy).
    pub fn create_key(&mut self, key_type: KeyType, sign_policy: Option<Policy>) -> u64 {
        let workspace_id = self.workspace_id;
        self.create_key_in(workspace_id, key_type, sign_policy)
    }

    /// As `create_key`, for workspace `workspace_id` (alice must own it).
    pub fn create_key_in(
        &mut self, workspace_id: u64, key_type: KeyType, sign_policy: Option<Policy>,
    ) -> u64 {
        let (alice, keyring) = (self.alice.clone(), self.kit.keyring.clone());
        let request_key = KeyringExecuteMsg::RequestKey {
            workspace_id,
            keyring_id: self.keyring_id,
            key_type,
            timeout_blocks: None,
            max_fee: None,
        };
        let res = self.kit.execute(&keyring, &alice, &request_key, &[]).unwrap();
        let request_id: u64 = event_attr(&res, "wasm-key_request", "request_id").parse().unwrap();
        let key_request = KeyringQueryMsg::KeyRequest { request_id };
        let seed = self.next_seed(key_type);
        let public_key = match key_type {
            KeyType::EcdsaSecp256k1 => keys::ecdsa_public_key(seed),
            KeyType::EddsaEd25519 => keys::eddsa_public_key(seed),
        };
        let answer = KeyringExecuteMsg::SubmitKeyResult {
            request_id,
            result: KeyResult::Success { public_key },
        };
        for party in self.parties.clone() {
            let request: KeyRequestResponse = self.kit.query(&keyring, &key_request).unwrap();
            if request.key_id.is_some() {
                break;
            }
            self.kit.execute(&keyring, &party, &answer, &[]).unwrap();
        }
        let request: KeyRequestResponse = self.kit.query(&keyring, &key_request).unwrap();
        let key_id = request.key_id.expect("key created");
        self.keys.push((key_id, key_type, seed));
        if let Some(policy) = sign_policy {
            let workspace = self.kit.workspace.clone();
            let action = AdminAction::SetKeyPolicy { key_id, policy: Some(policy) };
            let propose =
                WorkspaceExecuteMsg::ProposeAction { workspace_id, action, timeout_blocks: None };
            self.kit.execute(&workspace, &alice, &propose, &[]).unwrap();
        }
        key_id
    }

    /// `sender` proposes an admin action on the suite's workspace (executes at once when the
    /// admin policy is met by the proposer alone).
    pub fn admin_action(&mut self, sender: &Addr, action: AdminAction) -> StdResult<AppResponse> {
        let workspace = self.kit.workspace.clone();
        let propose = WorkspaceExecuteMsg::ProposeAction {
            workspace_id: self.workspace_id,
            action,
            timeout_blocks: None,
        };
        self.kit.execute(&workspace, sender, &propose, &[])
    }

    /// `msg` to `contract` as `sender`, without funds.
    pub fn kit_execute<M: serde::Serialize + std::fmt::Debug>(
        &mut self, contract: &Addr, sender: &Addr, msg: &M,
    ) -> StdResult<AppResponse> {
        self.kit.execute(contract, sender, msg, &[])
    }

    pub fn set_key_policy(
        &mut self, sender: &Addr, key_id: u64, policy: Option<Policy>,
    ) -> StdResult<AppResponse> {
        self.admin_action(sender, AdminAction::SetKeyPolicy { key_id, policy })
    }

    pub fn fee() -> Vec<Coin> {
        vec![coin(FEE, DENOM)]
    }

    pub fn request_msg(key_id: u64, items: Vec<Binary>) -> ExecuteMsg {
        ExecuteMsg::request_signature(key_id, items)
    }

    pub fn execute(
        &mut self, sender: &Addr, msg: &ExecuteMsg, funds: &[Coin],
    ) -> StdResult<AppResponse> {
        let contract = self.contract.clone();
        self.kit.execute(&contract, sender, msg, funds)
    }

    /// `sender` requests signatures over `items` with `key_id`, paying the fee; returns the id.
    pub fn request(&mut self, sender: &Addr, key_id: u64, items: Vec<Binary>) -> u64 {
        let res = self.execute(sender, &Self::request_msg(key_id, items), &Self::fee()).unwrap();
        let created: RequestCreated =
            cosmwasm_std::from_json(res.data.as_ref().expect("response data")).unwrap();
        let attribute = event_attr(&res, "wasm-signature_request", "request_id");
        assert_eq!(attribute, created.request_id.to_string());
        created.request_id
    }

    pub fn approve(&mut self, sender: &Addr, request_id: u64) -> StdResult<AppResponse> {
        self.execute(sender, &ExecuteMsg::Approve { request_id }, &[])
    }

    pub fn reject(&mut self, sender: &Addr, request_id: u64) -> StdResult<AppResponse> {
        self.execute(sender, &ExecuteMsg::Reject { request_id }, &[])
    }

    pub fn expire(&mut self, sender: &Addr, request_ids: Vec<u64>) -> StdResult<AppResponse> {
        self.execute(sender, &ExecuteMsg::Expire { request_ids }, &[])
    }

    pub fn submit(
        &mut self, party: &Addr, request_id: u64, result: SignResult,
    ) -> StdResult<AppResponse> {
        self.execute(party, &ExecuteMsg::SubmitSignatureResult { request_id, result }, &[])
    }

    /// Valid signatures over the request's items, made with the key's secret (with their
    /// recovery ids for an ECDSA key).
    pub fn sign(&self, request_id: u64) -> SignResult {
        let request = self.query_request(request_id);
        let seed = self.seed_of(request.key_id);
        let signatures =
            request.items.iter().map(|item| sign_with(seed, request.key_type, item)).collect();
        Self::success(&request, signatures)
    }

    /// A success answer to `request` with `signatures` and, for an ECDSA key, the recovery id
    /// of each (0 where none recovers the key: a wrong signature).
    pub fn success(request: &SignatureRequestResponse, signatures: Vec<Binary>) -> SignResult {
        let recovery_ids = match request.key_type {
            KeyType::EcdsaSecp256k1 => request
                .items
                .iter()
                .zip(&signatures)
                .map(|(item, signature)| {
                    keys::ecdsa_recovery_id(&request.public_key, item, signature)
                })
                .collect(),
            KeyType::EddsaEd25519 => vec![],
        };
        SignResult::Success { signatures, recovery_ids }
    }

    /// A signature over `item` by the first key of `key_type`.
    pub fn sign_item(&self, key_type: KeyType, item: &[u8]) -> Binary {
        let seed = match key_type {
            KeyType::EcdsaSecp256k1 => ECDSA_SEED,
            KeyType::EddsaEd25519 => EDDSA_SEED,
        };
        sign_with(seed, key_type, item)
    }

    pub fn failure(reason: &str) -> SignResult {
        SignResult::Failure { reason: reason.to_string() }
    }

    pub fn query<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.kit.query(&self.contract, msg).unwrap()
    }

    pub fn config(&self) -> ConfigResponse {
        self.query(&QueryMsg::Config {})
    }

    pub fn query_request(&self, request_id: u64) -> SignatureRequestResponse {
        self.query(&QueryMsg::Request { request_id })
    }

    /// One page of `approver`'s inbox and where the next starts.
    pub fn inbox_page(
        &self, approver: &Addr, start_after: Option<InboxCursor>, limit: Option<u32>,
    ) -> (Vec<u64>, Option<InboxCursor>) {
        let page: RequestsAwaitingApproverResponse =
            self.query(&QueryMsg::RequestsAwaitingApprover {
                approver: approver.to_string(),
                start_after,
                limit,
            });
        (page.requests.iter().map(|r| r.id).collect(), page.next)
    }

    /// Every page of `approver`'s inbox, `limit` at a time.
    pub fn inbox(&self, approver: &Addr, limit: Option<u32>) -> Vec<u64> {
        let (mut all, mut cursor) = self.inbox_page(approver, None, limit);
        while let Some(start_after) = cursor {
            let (page, next) = self.inbox_page(approver, Some(start_after), limit);
            all.extend(page);
            cursor = next;
        }
        all
    }

    pub fn list(&self, msg: &QueryMsg) -> Vec<u64> {
        let page: SignatureRequestsResponse = self.query(msg);
        page.requests.iter().map(|r| r.id).collect()
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

    /// What a user can see: every request (ids are sequential from 1) and every balance, for
    /// the property tests' invariants.
    pub fn requests_and_balances(
        &self,
    ) -> (Vec<Option<SignatureRequestResponse>>, Vec<(u128, u128)>) {
        let requests: Vec<_> = (1..)
            .map(|request_id| {
                self.kit.query(&self.contract, &QueryMsg::Request { request_id }).ok()
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

    /// The kit's check on the signature-requests contract: `msg` fails with `expected`, and
    /// nothing changed.
    pub fn assert_refused(
        &mut self, sender: &Addr, msg: &ExecuteMsg, funds: &[Coin], expected: ContractError,
    ) {
        let contract = self.contract.clone();
        self.kit.assert_refused(&contract, sender, msg, funds, expected);
    }
}

/// The `wasm-signature_request` events of a response.
pub fn request_events(res: &AppResponse) -> Vec<&Event> {
    mpc_testing::events::of_type(res, "wasm-signature_request")
}

/// The `action` of each `wasm-signature_request` event, in order.
pub fn actions(res: &AppResponse) -> Vec<String> {
    mpc_testing::events::actions(res, "wasm-signature_request")
}

fn sign_with(seed: u8, key_type: KeyType, item: &[u8]) -> Binary {
    match key_type {
        KeyType::EcdsaSecp256k1 => keys::ecdsa_sign(&keys::ecdsa_signing_key(seed), item),
        KeyType::EddsaEd25519 => keys::eddsa_sign(&keys::eddsa_signing_key(seed), item),
    }
}

pub fn hash(seed: u8) -> Binary {
    Binary::from(vec![seed; 32])
}
