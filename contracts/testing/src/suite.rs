//! One chain with the three contracts deployed, the accounts the tests fund, and the check every
//! refusal test makes: the message fails with the expected error and nothing changed.

use std::collections::BTreeSet;
use std::fmt::{Debug, Display};

use cosmwasm_std::testing::MockApi;
use cosmwasm_std::{from_json, Addr, Coin, Record, StdError, StdResult};
use cw_multi_test::{App, AppResponse, Executor};
use mpc_interfaces::{keyring, workspace, Policy};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::deploy::{deploy, DeployConfig, Deployment};
use crate::errors::assert_contract_error;

/// The address the suite's chain gives `name` (the same as `suite.app.api().addr_make(name)`),
/// for use before a suite exists.
pub fn addr(name: &str) -> Addr {
    MockApi::default().addr_make(name)
}

pub struct Suite {
    pub app: App,
    /// Deployed the contracts; their admin on the chain.
    pub admin: Addr,
    pub workspace: Addr,
    pub keyring: Addr,
    pub signature_requests: Addr,
    pub deployment: Deployment,
    /// Accounts whose balances a [`Snapshot`] holds (every funded account and the contracts),
    /// in every denom funded.
    watched: Vec<Addr>,
    denoms: BTreeSet<String>,
}

impl Suite {
    /// The contracts deployed by `admin` with every timeout at its default.
    pub fn new() -> Self {
        Self::with(|_| {}).expect("the default deployment instantiates")
    }

    /// The contracts deployed with the config `configure` makes of the default one (deployer
    /// `admin`, default timeouts); an instantiate refusal is returned.
    pub fn with(configure: impl FnOnce(&mut DeployConfig)) -> StdResult<Self> {
        Self::build(App::default(), configure)
    }

    /// As [`with`](Self::with), on an `app` already set up (e.g. with contracts of its own).
    pub fn build(mut app: App, configure: impl FnOnce(&mut DeployConfig)) -> StdResult<Self> {
        let mut config = DeployConfig::new(addr("admin"));
        configure(&mut config);
        let deployment = deploy(&mut app, &config)?;
        Ok(Suite {
            app,
            admin: config.admin,
            workspace: deployment.workspace.clone(),
            keyring: deployment.keyring.clone(),
            signature_requests: deployment.signature_requests.clone(),
            watched: deployment.contracts().map(Addr::clone).to_vec(),
            deployment,
            denoms: BTreeSet::new(),
        })
    }

    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    /// Gives `account` `coins` (on top of what it has) and watches its balances.
    pub fn fund(&mut self, account: &Addr, coins: &[Coin]) {
        self.watch(account);
        self.denoms.extend(coins.iter().map(|c| c.denom.clone()));
        // The bank sets an account's whole balance, so every denom is written.
        let balance: Vec<Coin> = self
            .denoms
            .iter()
            .map(|denom| {
                let added: u128 = coins.iter().filter(|c| &c.denom == denom).map(amount).sum();
                cosmwasm_std::coin(self.balance(account, denom) + added, denom)
            })
            .filter(|c| !c.amount.is_zero())
            .collect();
        self.app
            .init_modules(|router, _, storage| router.bank.init_balance(storage, account, balance))
            .expect("funding an account");
    }

    /// Adds `account` (e.g. a contract the test instantiated) to those a snapshot compares.
    pub fn watch(&mut self, account: &Addr) {
        if !self.watched.contains(account) {
            self.watched.push(account.clone());
        }
    }

    pub fn height(&self) -> u64 {
        self.app.block_info().height
    }

    /// `blocks` blocks later, five seconds each.
    pub fn advance(&mut self, blocks: u64) {
        self.app.update_block(|block| {
            block.height += blocks;
            block.time = block.time.plus_seconds(5 * blocks);
        });
    }

    pub fn execute<M: Serialize + Debug>(
        &mut self, contract: &Addr, sender: &Addr, msg: &M, funds: &[Coin],
    ) -> StdResult<AppResponse> {
        self.app.execute_contract(sender.clone(), contract.clone(), msg, funds)
    }

    /// `creator` creates a workspace with `additional_owners` and the two policies (`None`: any
    /// one owner); its id, from the response data.
    pub fn create_workspace(
        &mut self, creator: &Addr, additional_owners: &[&Addr], admin_policy: Option<Policy>,
        sign_policy: Option<Policy>,
    ) -> StdResult<u64> {
        let workspace = self.workspace.clone();
        let msg = create_workspace_msg(additional_owners, admin_policy, sign_policy, None);
        let res = self.execute(&workspace, creator, &msg, &[])?;
        let created: workspace::WorkspaceCreated = from_json(res.data.expect("response data"))?;
        Ok(created.workspace_id)
    }

    /// `admin` creates a keyring of `parties` with `party_threshold` and the two fees; its id,
    /// from the response data.
    pub fn create_keyring(
        &mut self, admin: &Addr, parties: &[Addr], party_threshold: u32, key_req_fee: Vec<Coin>,
        sig_req_fee: Vec<Coin>,
    ) -> StdResult<u64> {
        let keyring = self.keyring.clone();
        let msg =
            create_keyring_msg("test keyring", parties, party_threshold, key_req_fee, sig_req_fee);
        let res = self.execute(&keyring, admin, &msg, &[])?;
        let created: keyring::KeyringCreated = from_json(res.data.expect("response data"))?;
        Ok(created.keyring_id)
    }

    pub fn query<T: DeserializeOwned>(
        &self, contract: &Addr, msg: &impl Serialize,
    ) -> StdResult<T> {
        self.app.wrap().query_wasm_smart(contract, msg)
    }

    pub fn balance(&self, account: &Addr, denom: &str) -> u128 {
        self.app.wrap().query_balance(account, denom).map(|c| amount(&c)).expect("a bank query")
    }

    /// Every key and value the three contracts store, and every watched balance.
    pub fn snapshot(&self) -> Snapshot {
        let storage = self
            .deployment
            .contracts()
            .into_iter()
            .chain(self.watched.iter())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|account| self.app.contract_data(account).is_ok())
            .map(|contract| (contract.clone(), self.app.dump_wasm_raw(contract)))
            .collect();
        let balances = self
            .watched
            .iter()
            .flat_map(|account| {
                self.denoms.iter().map(move |denom| {
                    (account.clone(), denom.clone(), self.balance(account, denom))
                })
            })
            .collect();
        Snapshot { storage, balances }
    }

    /// Runs `message` (anything sent to the chain: an execute, a migration), which must fail,
    /// checks that no stored byte and no watched balance changed, and returns the error.
    pub fn refused(
        &mut self, message: impl FnOnce(&mut App) -> StdResult<AppResponse>,
    ) -> StdError {
        let before = self.snapshot();
        let err = message(&mut self.app).expect_err("the message is refused");
        assert_eq!(self.snapshot(), before, "a refused message changed state ({err})");
        err
    }

    /// Sends `msg` to `contract`, expects exactly the contract error `expected`, and checks that
    /// nothing changed.
    pub fn assert_refused<M: Serialize + Debug>(
        &mut self, contract: &Addr, sender: &Addr, msg: &M, funds: &[Coin], expected: impl Display,
    ) {
        let err =
            self.refused(|app| app.execute_contract(sender.clone(), contract.clone(), msg, funds));
        assert_contract_error(&err, &expected);
    }

    /// As [`assert_refused`](Self::assert_refused), for errors whose text comes from the chain
    /// (address validation): the error must mention `fragment`.
    pub fn assert_refused_mentioning<M: Serialize + Debug>(
        &mut self, contract: &Addr, sender: &Addr, msg: &M, funds: &[Coin], fragment: &str,
    ) {
        let err =
            self.refused(|app| app.execute_contract(sender.clone(), contract.clone(), msg, funds));
        assert!(err.to_string().contains(fragment), "unexpected error: {err}");
    }

    /// The chain's admin migrates `contract` to the code it already runs (a release of the same
    /// version), with `msg`.
    pub fn migrate(&mut self, contract: &Addr, msg: &impl Serialize) -> StdResult<AppResponse> {
        let code_id = self.app.contract_data(contract)?.code_id;
        self.app.migrate_contract(self.admin.clone(), contract.clone(), msg, code_id)
    }

    /// The chain's admin migrates `contract` as [`migrate`](Self::migrate) does, which must
    /// fail and change nothing; returns the error.
    pub fn migrate_refused(&mut self, contract: &Addr, msg: &impl Serialize) -> StdError {
        let admin = self.admin.clone();
        self.refused(|app| {
            let code_id = app.contract_data(contract)?.code_id;
            app.migrate_contract(admin, contract.clone(), msg, code_id)
        })
    }

    /// As [`migrate_refused`](Self::migrate_refused), expecting exactly the contract error
    /// `expected`.
    pub fn assert_migrate_refused(
        &mut self, contract: &Addr, msg: &impl Serialize, expected: impl Display,
    ) {
        let err = self.migrate_refused(contract, msg);
        assert_contract_error(&err, &expected);
    }

    /// Overwrites the contract name and version `contract` stores (cw2), as an older or another
    /// release would have left them.
    pub fn set_stored_version(&mut self, contract: &Addr, name: &str, version: &str) {
        cw2::set_contract_version(&mut *self.app.contract_storage_mut(contract), name, version)
            .expect("writing the cw2 version");
    }

    /// The contract name and version `contract` stores (cw2).
    pub fn stored_version(&self, contract: &Addr) -> cw2::ContractVersion {
        cw2::query_contract_info(&self.app.wrap(), contract.to_string()).expect("a cw2 version")
    }
}

/// The message [`Suite::create_workspace`] sends, for tests that send it themselves (a refusal,
/// an alias, a response to inspect).
pub fn create_workspace_msg(
    additional_owners: &[&Addr], admin_policy: Option<Policy>, sign_policy: Option<Policy>,
    alias: Option<&str>,
) -> workspace::ExecuteMsg {
    workspace::ExecuteMsg::CreateWorkspace {
        additional_owners: additional_owners.iter().map(|a| a.to_string()).collect(),
        admin_policy,
        sign_policy,
        alias: alias.map(str::to_string),
    }
}

/// The message [`Suite::create_keyring`] sends, for tests that send it themselves.
pub fn create_keyring_msg(
    description: &str, parties: &[Addr], party_threshold: u32, key_req_fee: Vec<Coin>,
    sig_req_fee: Vec<Coin>,
) -> keyring::ExecuteMsg {
    keyring::ExecuteMsg::CreateKeyring {
        description: description.to_string(),
        parties: parties.iter().map(Addr::to_string).collect(),
        party_threshold,
        key_req_fee,
        sig_req_fee,
    }
}

/// A coin's amount; the tests' balances fit in a `u128`.
fn amount(coin: &Coin) -> u128 {
    coin.amount.to_string().parse().expect("an amount below 2^128")
}

impl Default for Suite {
    fn default() -> Self {
        Self::new()
    }
}

/// What a refused message must leave as it was: each contract's raw storage, and the balances
/// of the watched accounts.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub storage: Vec<(Addr, Vec<Record>)>,
    pub balances: Vec<(Addr, String, u128)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::coin;
    use mpc_interfaces::workspace::{ExecuteMsg, MAX_ACTION_TIMEOUT_BLOCKS};

    #[test]
    fn funding_adds_to_the_balance_and_keeps_other_denoms() {
        let mut suite = Suite::new();
        let alice = suite.addr("alice");
        suite.fund(&alice, &[coin(5, "ua"), coin(7, "ub")]);
        suite.fund(&alice, &[coin(1, "ua")]);
        assert_eq!(suite.balance(&alice, "ua"), 6);
        assert_eq!(suite.balance(&alice, "ub"), 7);
    }

    #[test]
    fn the_snapshot_sees_a_stored_change_and_a_balance_change() {
        let mut suite = Suite::new();
        let alice = suite.addr("alice");
        suite.fund(&alice, &[coin(5, "ua")]);
        let before = suite.snapshot();
        let workspace = suite.workspace.clone();
        let create = ExecuteMsg::CreateWorkspace {
            additional_owners: vec![],
            admin_policy: None,
            sign_policy: None,
            alias: None,
        };
        suite.execute(&workspace, &alice, &create, &[]).unwrap();
        let created = suite.snapshot();
        assert_ne!(created.storage, before.storage);
        let bob = suite.addr("bob");
        suite.app.send_tokens(alice.clone(), bob, &[coin(1, "ua")]).unwrap();
        assert_ne!(suite.snapshot().balances, created.balances);
    }

    #[test]
    fn assert_refused_checks_the_error() {
        let mut suite = Suite::new();
        let admin = suite.admin.clone();
        let workspace = suite.workspace.clone();
        let msg =
            ExecuteMsg::UpdateConfig { action_timeout_blocks: Some(MAX_ACTION_TIMEOUT_BLOCKS + 1) };
        let expected = mpc_workspace::ContractError::TimeoutOutOfRange(
            mpc_contract_kit::lifecycle::TimeoutOutOfRange {
                name: "action_timeout_blocks",
                timeout: MAX_ACTION_TIMEOUT_BLOCKS + 1,
                max: MAX_ACTION_TIMEOUT_BLOCKS,
            },
        );
        suite.assert_refused(&workspace, &admin, &msg, &[], &expected);
        let version = suite.stored_version(&workspace);
        suite.migrate(&workspace, &mpc_interfaces::workspace::MigrateMsg::default()).unwrap();
        assert_eq!(suite.stored_version(&workspace), version, "the same release");
        suite.set_stored_version(&workspace, &version.contract, "0.0.1");
        assert_eq!(suite.stored_version(&workspace).version, "0.0.1");
        let wrong = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            suite.assert_refused(&workspace, &admin, &msg, &[], "another error")
        }));
        assert!(wrong.is_err(), "a different error is not accepted");
    }
}
