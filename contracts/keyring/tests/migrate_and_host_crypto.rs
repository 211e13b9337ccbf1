//! Migration guards and the config changes a migration carries, and the host-crypto behaviour the public-key check relies on.

mod common;

use common::*;
use cosmwasm_std::testing::MockApi;
use cosmwasm_std::Api;
use cw_multi_test::Executor;
use mpc_contract_kit::lifecycle::TimeoutOutOfRange;
use mpc_contract_kit::migrate::MigrateError;
use mpc_contract_kit::migrate::LAYOUT_VERSION;
use mpc_interfaces::keyring::{
    ConfigResponse, InstantiateMsg, MigrateMsg, QueryMsg, MAX_KEY_REQUEST_TIMEOUT_BLOCKS,
};
use mpc_keyring::contract::{CONTRACT_NAME, CONTRACT_VERSION};
use mpc_keyring::ContractError;
use mpc_testing::events::{attr, find_attr, one};

#[test]
fn instantiate_records_config_and_refuses_bad_timeout() {
    let suite = Suite::with_timeout(None);
    let config: ConfigResponse = suite.query(&QueryMsg::Config {});
    assert_eq!(config.workspace_contract, suite.workspace);
    assert_eq!(config.key_request_timeout_blocks, 1_000);

    let mut suite = suite;
    let code = suite.app.store_code(keyring_contract());
    let (admin, workspace) = (suite.admin.clone(), suite.workspace.to_string());
    let err = suite
        .app
        .instantiate_contract(
            code,
            admin,
            &InstantiateMsg { workspace_contract: workspace, key_request_timeout_blocks: Some(0) },
            &[],
            "bad",
            None,
        )
        .unwrap_err();
    assert_eq!(
        root_cause(&err),
        ContractError::TimeoutOutOfRange(TimeoutOutOfRange {
            name: "key_request_timeout_blocks",
            timeout: 0,
            max: 100_000
        })
        .to_string()
    );
}

fn config(suite: &Suite) -> ConfigResponse {
    suite.query(&QueryMsg::Config {})
}

#[test]
fn migrate_to_same_version_works() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let keyring = suite.keyring.clone();
    let res = suite.migrate(&keyring, &MigrateMsg::default()).unwrap();
    let migrated = res.events.iter().find(|e| e.ty == "wasm").expect("the migrate response");
    assert_eq!(attr(migrated, "to_version"), CONTRACT_VERSION);
    assert!(res.events.iter().all(|e| e.ty != "wasm-config"), "no change, no config event");
    // State survives the migration.
    assert_eq!(suite.keyring(keyring_id).parties, suite.parties);
}

#[test]
fn a_migration_changes_the_config_as_update_config_does() {
    let mut suite = Suite::new();
    let keyring = suite.keyring.clone();
    suite.set_stored_version(&keyring, CONTRACT_NAME, LAYOUT_VERSION);
    let other_workspace = suite.addr("other_workspace");
    let msg = MigrateMsg {
        workspace_contract: Some(other_workspace.to_string()),
        key_request_timeout_blocks: Some(7),
    };
    let res = suite.migrate(&keyring, &msg).unwrap();
    let updated = one(&res, "wasm-config", "updated");
    assert_eq!(attr(updated, "workspace_contract"), other_workspace.as_str());
    assert_eq!(attr(updated, "key_request_timeout_blocks"), "7");
    // The chain's admin migrated; the contract names no sender of its own.
    assert_eq!(find_attr(updated, "sender"), None);
    let config = config(&suite);
    assert_eq!(config.workspace_contract, other_workspace);
    assert_eq!(config.key_request_timeout_blocks, 7);
    assert_eq!(suite.stored_version(&keyring).version, CONTRACT_VERSION);
}

#[test]
fn a_migration_with_a_bad_change_or_from_a_wrong_version_changes_nothing() {
    let mut suite = Suite::new();
    let keyring = suite.keyring.clone();
    suite.assert_migrate_refused(
        &keyring,
        &MigrateMsg {
            workspace_contract: Some("not an address".to_string()),
            key_request_timeout_blocks: Some(7),
        },
        ContractError::InvalidAddress { address: "not an address".to_string() },
    );
    for blocks in [0, MAX_KEY_REQUEST_TIMEOUT_BLOCKS + 1] {
        suite.assert_migrate_refused(
            &keyring,
            &MigrateMsg { workspace_contract: None, key_request_timeout_blocks: Some(blocks) },
            ContractError::TimeoutOutOfRange(TimeoutOutOfRange {
                name: "key_request_timeout_blocks",
                timeout: blocks,
                max: MAX_KEY_REQUEST_TIMEOUT_BLOCKS,
            }),
        );
    }
    let change = MigrateMsg { workspace_contract: None, key_request_timeout_blocks: Some(7) };
    // The workspace contract's storage under the keyring's code: another contract.
    suite.set_stored_version(&keyring, "crates.io:mpc-workspace", CONTRACT_VERSION);
    suite.assert_migrate_refused(
        &keyring,
        &change,
        ContractError::Migrate(MigrateError::WrongContract {
            expected: CONTRACT_NAME.to_string(),
            found: "crates.io:mpc-workspace".to_string(),
        }),
    );
    // A layout before LAYOUT_VERSION (e.g. keys outside the public-key index): refused.
    suite.set_stored_version(&keyring, CONTRACT_NAME, "0.2.0");
    suite.assert_migrate_refused(
        &keyring,
        &change,
        ContractError::Migrate(MigrateError::OldLayout {
            stored: "0.2.0".to_string(),
            layout: LAYOUT_VERSION.to_string(),
        }),
    );
    suite.set_stored_version(&keyring, CONTRACT_NAME, "99.0.0");
    suite.assert_migrate_refused(
        &keyring,
        &change,
        ContractError::Migrate(MigrateError::Downgrade {
            stored: "99.0.0".to_string(),
            current: CONTRACT_VERSION.to_string(),
        }),
    );
    assert_eq!(config(&suite).key_request_timeout_blocks, 100);
}

/// The contract tells a secp256k1 key that does not parse from one that does by probing
/// `secp256k1_verify` with a dummy signature: an error for the former, `Ok(false)` for the latter.
/// MockApi runs the same cosmwasm-crypto code as the VM's host functions.
#[test]
fn secp256k1_verify_errors_on_unparseable_keys_only() {
    let api = MockApi::default();
    let (hash, signature) = ([0u8; 32], [1u8; 64]);
    assert_eq!(api.secp256k1_verify(&hash, &signature, &ecdsa_public_key(3)), Ok(false));
    assert!(api.secp256k1_verify(&hash, &signature, &off_curve_ecdsa_key()).is_err());
}

/// Why the contract checks Ed25519 keys itself (curve25519-dalek): the host answers `Ok(false)`
/// both for a key that does not decompress and for a valid key with a wrong signature.
#[test]
fn ed25519_verify_cannot_tell_unparseable_keys() {
    let api = MockApi::default();
    let not_a_point = non_point_eddsa_key();
    let (message, signature) = (b"probe", [1u8; 64]);
    assert_eq!(api.ed25519_verify(message, &signature, &not_a_point), Ok(false));
    assert_eq!(api.ed25519_verify(message, &signature, &eddsa_public_key(3)), Ok(false));
}
