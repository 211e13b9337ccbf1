//! The migrate entry point: same contract, same or older stored version only.

mod common;

use common::Suite;
use cw_multi_test::Executor;
use mpc_contract_kit::migrate::MigrateError;
use mpc_interfaces::MigrateMsg;
use mpc_workspace::ContractError;

const NAME: &str = "crates.io:mpc-workspace";
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn stored_version(suite: &Suite) -> cw2::ContractVersion {
    cw2::query_contract_info(&suite.app.wrap(), suite.contract.to_string()).unwrap()
}

fn migrate(suite: &mut Suite) -> cosmwasm_std::StdResult<cw_multi_test::AppResponse> {
    let (admin, contract, code_id) = (suite.admin.clone(), suite.contract.clone(), suite.code_id);
    suite
        .app
        .migrate_contract(admin, contract, &MigrateMsg {}, code_id)
}

fn set_stored(suite: &mut Suite, name: &str, version: &str) {
    let contract = suite.contract.clone();
    cw2::set_contract_version(
        &mut *suite.app.contract_storage_mut(&contract),
        name,
        version,
    )
    .unwrap();
}

#[test]
fn instantiate_records_the_contract_version() {
    let suite = Suite::new();
    let stored = stored_version(&suite);
    assert_eq!(
        (stored.contract.as_str(), stored.version.as_str()),
        (NAME, VERSION)
    );
}

#[test]
fn migrates_from_the_same_or_an_older_version() {
    let mut suite = Suite::new();
    migrate(&mut suite).unwrap();
    assert_eq!(stored_version(&suite).version, VERSION);
    set_stored(&mut suite, NAME, "0.0.1");
    migrate(&mut suite).unwrap();
    assert_eq!(stored_version(&suite).version, VERSION);
}

#[test]
fn refuses_another_contract_or_a_downgrade() {
    let mut suite = Suite::new();
    set_stored(&mut suite, "crates.io:cw20-base", "1.0.0");
    let err = migrate(&mut suite).unwrap_err();
    common::assert_contract_error(
        &err,
        &ContractError::Migrate(MigrateError::WrongContract {
            found: "crates.io:cw20-base".into(),
            expected: NAME.into(),
        }),
    );
    assert_eq!(stored_version(&suite).contract, "crates.io:cw20-base");

    set_stored(&mut suite, NAME, "99.0.0");
    let err = migrate(&mut suite).unwrap_err();
    common::assert_contract_error(
        &err,
        &ContractError::Migrate(MigrateError::Downgrade {
            stored: "99.0.0".into(),
            current: VERSION.into(),
        }),
    );
    assert_eq!(stored_version(&suite).version, "99.0.0");
}
