//! Migration guards, and the host-crypto behaviour the public-key check relies on.

mod common;

use common::*;
use cosmwasm_std::testing::MockApi;
use cosmwasm_std::{Api, DepsMut, Empty, Env, MessageInfo, Response, StdError};
use cw_multi_test::{ContractWrapper, Executor};
use mpc_contract_kit::migrate::MigrateError;
use mpc_interfaces::keyring::{ConfigResponse, InstantiateMsg, QueryMsg};
use mpc_interfaces::MigrateMsg;
use mpc_keyring::contract::{CONTRACT_NAME, CONTRACT_VERSION};
use mpc_keyring::ContractError;

#[test]
fn instantiate_records_config_and_refuses_bad_timeout() {
    let suite = Suite::with_timeout(None);
    let config: ConfigResponse = suite.query(&QueryMsg::Config {});
    assert_eq!(config.workspace_contract, suite.workspace);
    assert_eq!(config.key_request_timeout_blocks, 1_000);

    let mut suite = suite;
    let code = suite.app.store_code(keyring_contract());
    let admin = suite.admin.clone();
    let err = suite
        .app
        .instantiate_contract(
            code,
            admin,
            &InstantiateMsg {
                workspace_contract: suite.workspace.to_string(),
                key_request_timeout_blocks: Some(0),
            },
            &[],
            "bad",
            None,
        )
        .unwrap_err();
    assert_eq!(
        root_cause(&err),
        ContractError::TimeoutOutOfRange {
            timeout: 0,
            max: 100_000
        }
        .to_string()
    );
}

#[test]
fn migrate_to_same_version_works() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let code = suite.app.store_code(keyring_contract());
    let (admin, keyring) = (suite.admin.clone(), suite.keyring.clone());
    let res = suite
        .app
        .migrate_contract(admin, keyring, &MigrateMsg {}, code)
        .unwrap();
    let to_version = res
        .events
        .iter()
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == "to_version")
        .unwrap();
    assert_eq!(to_version.value, CONTRACT_VERSION);
    // State survives the migration.
    assert_eq!(suite.keyring(keyring_id).parties, suite.parties);
}

#[test]
fn migrate_refuses_another_contract() {
    let mut suite = Suite::new();
    // The workspace contract, instantiated with an admin so that it may be migrated.
    let workspace_code = suite.app.store_code(workspace_contract());
    let admin = suite.admin.clone();
    let workspace = suite
        .app
        .instantiate_contract(
            workspace_code,
            admin.clone(),
            &mpc_interfaces::workspace::InstantiateMsg {
                action_timeout_blocks: None,
            },
            &[],
            "workspace",
            Some(admin.to_string()),
        )
        .unwrap();
    let keyring_code = suite.app.store_code(keyring_contract());
    let err = suite
        .app
        .migrate_contract(admin, workspace, &MigrateMsg {}, keyring_code)
        .unwrap_err();
    assert_eq!(
        root_cause(&err),
        ContractError::Migrate(MigrateError::WrongContract {
            expected: CONTRACT_NAME.to_string(),
            found: "crates.io:mpc-workspace".to_string(),
        })
        .to_string()
    );
}

/// Pretends to be a newer release of this contract.
fn newer_keyring_instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    _msg: Empty,
) -> Result<Response, StdError> {
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, "99.0.0")?;
    Ok(Response::new())
}

fn unused_execute(
    _deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    _msg: Empty,
) -> Result<Response, StdError> {
    Ok(Response::new())
}

fn unused_query(
    _deps: cosmwasm_std::Deps,
    _env: Env,
    _msg: Empty,
) -> Result<cosmwasm_std::Binary, StdError> {
    Ok(cosmwasm_std::Binary::default())
}

#[test]
fn migrate_refuses_downgrade() {
    let mut suite = Suite::new();
    let newer_code = suite.app.store_code(Box::new(ContractWrapper::new(
        unused_execute,
        newer_keyring_instantiate,
        unused_query,
    )));
    let admin = suite.admin.clone();
    let newer = suite
        .app
        .instantiate_contract(
            newer_code,
            admin.clone(),
            &Empty {},
            &[],
            "newer",
            Some(admin.to_string()),
        )
        .unwrap();
    let keyring_code = suite.app.store_code(keyring_contract());
    let err = suite
        .app
        .migrate_contract(admin, newer, &MigrateMsg {}, keyring_code)
        .unwrap_err();
    assert_eq!(
        root_cause(&err),
        ContractError::Migrate(MigrateError::Downgrade {
            stored: "99.0.0".to_string(),
            current: CONTRACT_VERSION.to_string(),
        })
        .to_string()
    );
}

/// The contract tells a secp256k1 key that does not parse from one that does by probing
/// `secp256k1_verify` with a dummy signature: an error for the former, `Ok(false)` for the latter.
/// MockApi runs the same cosmwasm-crypto code as the VM's host functions.
#[test]
fn secp256k1_verify_errors_on_unparseable_keys_only() {
    let api = MockApi::default();
    let (hash, signature) = ([0u8; 32], [1u8; 64]);
    assert_eq!(
        api.secp256k1_verify(&hash, &signature, &ecdsa_public_key(3)),
        Ok(false)
    );
    assert!(api
        .secp256k1_verify(&hash, &signature, &off_curve_ecdsa_key())
        .is_err());
}

/// Why the contract checks Ed25519 keys itself (curve25519-dalek): the host answers `Ok(false)`
/// both for a key that does not decompress and for a valid key with a wrong signature.
#[test]
fn ed25519_verify_cannot_tell_unparseable_keys() {
    let api = MockApi::default();
    let not_a_point = non_point_eddsa_key();
    let (message, signature) = (b"probe", [1u8; 64]);
    assert_eq!(
        api.ed25519_verify(message, &signature, &not_a_point),
        Ok(false)
    );
    assert_eq!(
        api.ed25519_verify(message, &signature, &eddsa_public_key(3)),
        Ok(false)
    );
}
