//! The migrate entry point: same contract, same or older stored version only; the config
//! changes it carries are applied as `UpdateConfig` applies them.

mod common;

use common::*;
use mpc_contract_kit::lifecycle::TimeoutOutOfRange;
use mpc_contract_kit::migrate::MigrateError;
use mpc_contract_kit::migrate::LAYOUT_VERSION;
use mpc_interfaces::workspace::{ConfigResponse, MigrateMsg, QueryMsg, MAX_ACTION_TIMEOUT_BLOCKS};
use mpc_testing::events::{find_attr, one};
use mpc_workspace::ContractError;

const NAME: &str = "crates.io:mpc-workspace";
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn timeout(blocks: u64) -> MigrateMsg {
    MigrateMsg { action_timeout_blocks: Some(blocks) }
}

fn action_timeout(suite: &Suite) -> u64 {
    let config: ConfigResponse = suite.query(&QueryMsg::Config {}).unwrap();
    config.action_timeout_blocks
}

#[test]
fn instantiate_records_the_contract_version() {
    let suite = Suite::new();
    let stored = suite.stored_version(&suite.contract);
    assert_eq!((stored.contract.as_str(), stored.version.as_str()), (NAME, VERSION));
}

#[test]
fn migrates_from_the_same_or_an_older_version() {
    let mut suite = Suite::new();
    let contract = suite.contract.clone();
    let res = suite.migrate(&contract, &MigrateMsg::default()).unwrap();
    assert!(res.events.iter().all(|e| e.ty != "wasm-config"), "no change, no config event");
    assert_eq!(suite.stored_version(&contract).version, VERSION);
    suite.set_stored_version(&contract, NAME, LAYOUT_VERSION);
    suite.migrate(&contract, &MigrateMsg::default()).unwrap();
    assert_eq!(suite.stored_version(&contract).version, VERSION);
    assert_eq!(action_timeout(&suite), TIMEOUT);
}

#[test]
fn a_migration_changes_the_config_as_update_config_does() {
    let mut suite = Suite::new();
    let contract = suite.contract.clone();
    suite.set_stored_version(&contract, NAME, LAYOUT_VERSION);
    let res = suite.migrate(&contract, &timeout(7)).unwrap();
    let updated = one(&res, "wasm-config", "updated");
    assert_eq!(attr(updated, "action_timeout_blocks"), "7");
    // The chain's admin migrated; the contract names no sender of its own.
    assert_eq!(find_attr(updated, "sender"), None);
    assert_eq!(action_timeout(&suite), 7);
    assert_eq!(suite.stored_version(&contract).version, VERSION);

    let alice = suite.addr("alice");
    let ws = suite.create(&alice, &[], None, None);
    let id = suite
        .propose(
            &alice,
            ws,
            mpc_interfaces::workspace::AdminAction::SetAlias { alias: Some("x".to_string()) },
            None,
        )
        .unwrap();
    assert_eq!(suite.action(id).deadline_height, suite.height() + 7);
}

#[test]
fn a_migration_with_a_bad_timeout_or_from_a_wrong_version_changes_nothing() {
    let mut suite = Suite::new();
    let contract = suite.contract.clone();
    for blocks in [0, MAX_ACTION_TIMEOUT_BLOCKS + 1] {
        suite.assert_migrate_refused(
            &contract,
            &timeout(blocks),
            ContractError::TimeoutOutOfRange(TimeoutOutOfRange {
                name: "action_timeout_blocks",
                timeout: blocks,
                max: MAX_ACTION_TIMEOUT_BLOCKS,
            }),
        );
    }

    suite.set_stored_version(&contract, "crates.io:cw20-base", "1.0.0");
    suite.assert_migrate_refused(
        &contract,
        &timeout(7),
        ContractError::Migrate(MigrateError::WrongContract {
            found: "crates.io:cw20-base".into(),
            expected: NAME.into(),
        }),
    );

    // The layouts before LAYOUT_VERSION (e.g. votes without memberships, long names)
    // are refused: nothing was deployed in them.
    suite.set_stored_version(&contract, NAME, "0.2.0");
    suite.assert_migrate_refused(
        &contract,
        &timeout(7),
        ContractError::Migrate(MigrateError::OldLayout {
            stored: "0.2.0".into(),
            layout: LAYOUT_VERSION.into(),
        }),
    );

    suite.set_stored_version(&contract, NAME, "99.0.0");
    suite.assert_migrate_refused(
        &contract,
        &timeout(7),
        ContractError::Migrate(MigrateError::Downgrade {
            stored: "99.0.0".into(),
            current: VERSION.into(),
        }),
    );
    assert_eq!(suite.stored_version(&contract).version, "99.0.0");
    assert_eq!(action_timeout(&suite), TIMEOUT);
}
