//! Instantiate validation and cw2 migration rules, on the contract's own entry points.

use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env, MockApi};
use mpc_contract_kit::migrate::MigrateError;
use mpc_contract_kit::migrate::LAYOUT_VERSION;
use mpc_interfaces::signature_requests::InstantiateMsg;
use mpc_interfaces::signature_requests::{MigrateMsg, MAX_TIMEOUT_BLOCKS};
use mpc_signature_requests::contract::{instantiate, migrate, CONTRACT_NAME, CONTRACT_VERSION};
use mpc_signature_requests::ContractError;

fn msg(approval: Option<u64>, mpc: Option<u64>) -> InstantiateMsg {
    let api = MockApi::default();
    InstantiateMsg {
        workspace_contract: api.addr_make("workspace").to_string(),
        keyring_contract: api.addr_make("keyring").to_string(),
        approval_timeout_blocks: approval,
        mpc_timeout_blocks: mpc,
    }
}

#[test]
fn instantiate_refuses_zero_timeouts_and_bad_addresses() {
    let mut deps = mock_dependencies();
    let info = message_info(&MockApi::default().addr_make("creator"), &[]);
    let err = instantiate(deps.as_mut(), mock_env(), info.clone(), msg(Some(0), None)).unwrap_err();
    assert_eq!(
        err.to_string(),
        ContractError::TimeoutOutOfRange(mpc_contract_kit::lifecycle::TimeoutOutOfRange {
            name: "approval_timeout_blocks",
            timeout: 0,
            max: MAX_TIMEOUT_BLOCKS,
        })
        .to_string()
    );
    let err = instantiate(deps.as_mut(), mock_env(), info.clone(), msg(None, Some(0))).unwrap_err();
    assert!(
        matches!(err, ContractError::TimeoutOutOfRange(mpc_contract_kit::lifecycle::TimeoutOutOfRange { name, .. }) if name == "mpc_timeout_blocks")
    );
    let mut bad = msg(None, None);
    bad.keyring_contract = "not an address".to_string();
    let err = instantiate(deps.as_mut(), mock_env(), info.clone(), bad).unwrap_err();
    assert!(matches!(err, ContractError::Std(_)));
    assert!(cw2::get_contract_version(&deps.storage).is_err(), "nothing stored");

    instantiate(deps.as_mut(), mock_env(), info, msg(None, None)).unwrap();
    let config = mpc_signature_requests::query::config(deps.as_ref()).unwrap();
    assert_eq!(config.approval_timeout_blocks, 1_000);
    assert_eq!(config.mpc_timeout_blocks, 1_000);
}

#[test]
fn migrate_refuses_another_contract_and_downgrades() {
    let mut deps = mock_dependencies();
    let info = message_info(&MockApi::default().addr_make("creator"), &[]);
    instantiate(deps.as_mut(), mock_env(), info, msg(None, None)).unwrap();
    migrate(deps.as_mut(), mock_env(), MigrateMsg::default()).unwrap();

    cw2::set_contract_version(&mut deps.storage, "crates.io:cw20-base", "9.0.0").unwrap();
    let err = migrate(deps.as_mut(), mock_env(), MigrateMsg::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        ContractError::Migrate(MigrateError::WrongContract {
            expected: CONTRACT_NAME.to_string(),
            found: "crates.io:cw20-base".to_string()
        })
        .to_string()
    );

    cw2::set_contract_version(&mut deps.storage, CONTRACT_NAME, "99.0.0").unwrap();
    let err = migrate(deps.as_mut(), mock_env(), MigrateMsg::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        ContractError::Migrate(MigrateError::Downgrade {
            stored: "99.0.0".to_string(),
            current: CONTRACT_VERSION.to_string()
        })
        .to_string()
    );
    assert_eq!(
        cw2::get_contract_version(&deps.storage).unwrap().version,
        "99.0.0",
        "a refused migration leaves the version"
    );

    cw2::set_contract_version(&mut deps.storage, CONTRACT_NAME, LAYOUT_VERSION).unwrap();
    migrate(deps.as_mut(), mock_env(), MigrateMsg::default()).unwrap();
    assert_eq!(cw2::get_contract_version(&deps.storage).unwrap().version, CONTRACT_VERSION);
}

mod with_config_changes {
    //! A migration carries the config changes `UpdateConfig` takes, checked and announced the
    //! same way; a refused one changes nothing.

    use super::*;
    use crate::suite::{attr_value, Suite, APPROVAL_TIMEOUT, MPC_TIMEOUT};
    use mpc_testing::events::{find_attr, one};

    fn change(mpc_timeout_blocks: Option<u64>) -> MigrateMsg {
        MigrateMsg { mpc_timeout_blocks, ..MigrateMsg::default() }
    }

    #[test]
    fn a_migration_changes_the_config_as_update_config_does() {
        let mut suite = Suite::with_policy(None);
        let contract = suite.contract.clone();
        suite.set_stored_version(&contract, CONTRACT_NAME, LAYOUT_VERSION);
        let (workspace, keyring) = (suite.addr("new_workspace"), suite.addr("new_keyring"));
        let msg = MigrateMsg {
            workspace_contract: Some(workspace.to_string()),
            keyring_contract: Some(keyring.to_string()),
            approval_timeout_blocks: Some(5),
            mpc_timeout_blocks: Some(6),
        };
        let res = suite.migrate(&contract, &msg).unwrap();
        let updated = one(&res, "wasm-config", "updated");
        assert_eq!(attr_value(updated, "workspace_contract"), workspace.as_str());
        assert_eq!(attr_value(updated, "keyring_contract"), keyring.as_str());
        assert_eq!(attr_value(updated, "approval_timeout_blocks"), "5");
        assert_eq!(attr_value(updated, "mpc_timeout_blocks"), "6");
        // The chain's admin migrated; the contract names no sender of its own.
        assert_eq!(find_attr(updated, "sender"), None);
        let config = suite.config();
        assert_eq!(
            (
                config.workspace_contract,
                config.keyring_contract,
                config.approval_timeout_blocks,
                config.mpc_timeout_blocks
            ),
            (workspace, keyring, 5, 6)
        );
        assert_eq!(suite.stored_version(&contract).version, CONTRACT_VERSION);
    }

    #[test]
    fn a_migration_with_a_bad_change_or_from_a_wrong_version_changes_nothing() {
        let mut suite = Suite::with_policy(None);
        let contract = suite.contract.clone();
        for (msg, field) in [
            (
                MigrateMsg {
                    workspace_contract: Some("not an address".to_string()),
                    ..MigrateMsg::default()
                },
                "workspace_contract",
            ),
            (
                MigrateMsg {
                    keyring_contract: Some("not an address".to_string()),
                    ..MigrateMsg::default()
                },
                "keyring_contract",
            ),
        ] {
            let err = suite.migrate_refused(&contract, &msg);
            let message = mpc_testing::contract_error(&err);
            assert!(message.contains("parse failed"), "{field}: {message}");
        }
        for (msg, name) in [
            (
                MigrateMsg { approval_timeout_blocks: Some(0), ..MigrateMsg::default() },
                "approval_timeout_blocks",
            ),
            (change(Some(0)), "mpc_timeout_blocks"),
        ] {
            suite.assert_migrate_refused(
                &contract,
                &msg,
                ContractError::TimeoutOutOfRange(mpc_contract_kit::lifecycle::TimeoutOutOfRange {
                    name,
                    timeout: 0,
                    max: MAX_TIMEOUT_BLOCKS,
                }),
            );
        }
        suite.set_stored_version(&contract, "crates.io:cw20-base", "9.0.0");
        suite.assert_migrate_refused(
            &contract,
            &change(Some(7)),
            ContractError::Migrate(MigrateError::WrongContract {
                expected: CONTRACT_NAME.to_string(),
                found: "crates.io:cw20-base".to_string(),
            }),
        );
        suite.set_stored_version(&contract, CONTRACT_NAME, "99.0.0");
        suite.assert_migrate_refused(
            &contract,
            &change(Some(7)),
            ContractError::Migrate(MigrateError::Downgrade {
                stored: "99.0.0".to_string(),
                current: CONTRACT_VERSION.to_string(),
            }),
        );
        let config = suite.config();
        assert_eq!(
            (config.approval_timeout_blocks, config.mpc_timeout_blocks),
            (APPROVAL_TIMEOUT, MPC_TIMEOUT)
        );
    }
}
