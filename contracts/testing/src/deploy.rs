//! Storing and instantiating the three contracts, linked to each other, in any
//! `cw_multi_test::App` (the tests' suite and the connector's devnet alike).

use cosmwasm_std::{Addr, Empty, StdResult};
use cw_multi_test::{App, Contract, ContractWrapper, Executor};
use mpc_interfaces::{keyring, signature_requests, workspace};

pub fn workspace_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            mpc_workspace::contract::execute,
            mpc_workspace::contract::instantiate,
            mpc_workspace::contract::query,
        )
        .with_migrate(mpc_workspace::contract::migrate),
    )
}

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

/// Who deploys and the instantiate messages' defaults (`None`: the contract's own default).
#[derive(Clone, Debug)]
pub struct DeployConfig {
    /// Instantiates the three contracts and is their admin on the chain (may migrate them and
    /// update their config).
    pub admin: Addr,
    pub action_timeout_blocks: Option<u64>,
    pub key_request_timeout_blocks: Option<u64>,
    pub approval_timeout_blocks: Option<u64>,
    pub mpc_timeout_blocks: Option<u64>,
}

impl DeployConfig {
    /// Every timeout at the contract's default.
    pub fn new(admin: Addr) -> Self {
        DeployConfig {
            admin,
            action_timeout_blocks: None,
            key_request_timeout_blocks: None,
            approval_timeout_blocks: None,
            mpc_timeout_blocks: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeIds {
    pub workspace: u64,
    pub keyring: u64,
    pub signature_requests: u64,
}

/// The three contracts' addresses, and the code they run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployment {
    pub workspace: Addr,
    pub keyring: Addr,
    pub signature_requests: Addr,
    pub code_ids: CodeIds,
}

impl Deployment {
    /// The three addresses, workspace first.
    pub fn contracts(&self) -> [&Addr; 3] {
        [&self.workspace, &self.keyring, &self.signature_requests]
    }
}

/// Stores the three contracts' code and instantiates them: the keyring linked to the workspace
/// contract, the signature-requests contract to both. An instantiate error (a refused timeout)
/// is returned as the chain would return it.
pub fn deploy(app: &mut App, config: &DeployConfig) -> StdResult<Deployment> {
    let code_ids = CodeIds {
        workspace: app.store_code(workspace_contract()),
        keyring: app.store_code(keyring_contract()),
        signature_requests: app.store_code(signature_requests_contract()),
    };
    let admin = Some(config.admin.to_string());
    let workspace = app.instantiate_contract(
        code_ids.workspace,
        config.admin.clone(),
        &workspace::InstantiateMsg { action_timeout_blocks: config.action_timeout_blocks },
        &[],
        "mpc-workspace",
        admin.clone(),
    )?;
    let keyring = app.instantiate_contract(
        code_ids.keyring,
        config.admin.clone(),
        &keyring::InstantiateMsg {
            workspace_contract: workspace.to_string(),
            key_request_timeout_blocks: config.key_request_timeout_blocks,
        },
        &[],
        "mpc-keyring",
        admin.clone(),
    )?;
    let signature_requests = app.instantiate_contract(
        code_ids.signature_requests,
        config.admin.clone(),
        &signature_requests::InstantiateMsg {
            workspace_contract: workspace.to_string(),
            keyring_contract: keyring.to_string(),
            approval_timeout_blocks: config.approval_timeout_blocks,
            mpc_timeout_blocks: config.mpc_timeout_blocks,
        },
        &[],
        "mpc-signature-requests",
        admin,
    )?;
    Ok(Deployment { workspace, keyring, signature_requests, code_ids })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mpc_interfaces::keyring::ConfigResponse as KeyringConfig;
    use mpc_interfaces::signature_requests::ConfigResponse as SignatureRequestsConfig;

    #[test]
    fn the_contracts_are_linked_and_administered_by_the_deployer() {
        let mut app = App::default();
        let admin = app.api().addr_make("admin");
        let deployed = deploy(&mut app, &DeployConfig::new(admin.clone())).unwrap();
        let keyring: KeyringConfig =
            app.wrap().query_wasm_smart(&deployed.keyring, &keyring::QueryMsg::Config {}).unwrap();
        assert_eq!(keyring.workspace_contract, deployed.workspace);
        let requests: SignatureRequestsConfig = app
            .wrap()
            .query_wasm_smart(
                &deployed.signature_requests,
                &signature_requests::QueryMsg::Config {},
            )
            .unwrap();
        assert_eq!(requests.workspace_contract, deployed.workspace);
        assert_eq!(requests.keyring_contract, deployed.keyring);
        for contract in deployed.contracts() {
            let info = app.wrap().query_wasm_contract_info(contract).unwrap();
            assert_eq!(info.admin, Some(admin.clone()));
        }
    }

    #[test]
    fn a_refused_instantiate_is_returned() {
        let mut app = App::default();
        let admin = app.api().addr_make("admin");
        let config = DeployConfig { mpc_timeout_blocks: Some(0), ..DeployConfig::new(admin) };
        let err = deploy(&mut app, &config).unwrap_err();
        assert!(err.to_string().contains("mpc_timeout_blocks"), "{err}");
    }
}
