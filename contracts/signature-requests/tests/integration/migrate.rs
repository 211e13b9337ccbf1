//! Instantiate validation and cw2 migration rules, on the contract's own entry points.

use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env, MockApi};
use mpc_contract_kit::migrate::MigrateError;
use mpc_interfaces::signature_requests::InstantiateMsg;
use mpc_interfaces::MigrateMsg;
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
        ContractError::ZeroTimeout {
            name: "approval_timeout_blocks".to_string()
        }
        .to_string()
    );
    let err = instantiate(deps.as_mut(), mock_env(), info.clone(), msg(None, Some(0))).unwrap_err();
    assert!(matches!(err, ContractError::ZeroTimeout { name } if name == "mpc_timeout_blocks"));
    let mut bad = msg(None, None);
    bad.keyring_contract = "not an address".to_string();
    let err = instantiate(deps.as_mut(), mock_env(), info.clone(), bad).unwrap_err();
    assert!(matches!(err, ContractError::Std(_)));
    assert!(
        cw2::get_contract_version(&deps.storage).is_err(),
        "nothing stored"
    );

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
    migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();

    cw2::set_contract_version(&mut deps.storage, "crates.io:cw20-base", "9.0.0").unwrap();
    let err = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err();
    assert_eq!(
        err.to_string(),
        ContractError::Migrate(MigrateError::WrongContract {
            expected: CONTRACT_NAME.to_string(),
            found: "crates.io:cw20-base".to_string()
        })
        .to_string()
    );

    cw2::set_contract_version(&mut deps.storage, CONTRACT_NAME, "99.0.0").unwrap();
    let err = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err();
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

    cw2::set_contract_version(&mut deps.storage, CONTRACT_NAME, "0.0.1").unwrap();
    migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
    assert_eq!(
        cw2::get_contract_version(&deps.storage).unwrap().version,
        CONTRACT_VERSION
    );
}
