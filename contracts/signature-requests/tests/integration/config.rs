//! The contract's admin on the chain changes the linked contracts and the default timeouts; a
//! request made afterwards uses the new defaults, and nobody else may change them.

use cosmwasm_std::coin;
use cw_utils::PaymentError;
use mpc_contract_kit::config::ConfigError;
use mpc_interfaces::signature_requests::{ExecuteMsg, MAX_TIMEOUT_BLOCKS};
use mpc_signature_requests::ContractError;

use crate::suite::*;

fn update(mpc_timeout_blocks: Option<u64>, keyring_contract: Option<String>) -> ExecuteMsg {
    ExecuteMsg::UpdateConfig {
        workspace_contract: None,
        keyring_contract,
        approval_timeout_blocks: None,
        mpc_timeout_blocks,
    }
}

#[test]
fn the_admin_updates_the_defaults_and_new_requests_follow() {
    let mut suite = Suite::with_policy(None);
    let key_id = suite.create_key(mpc_interfaces::KeyType::EcdsaSecp256k1, None);
    let alice = suite.alice.clone();
    let res = suite.execute(&alice, &update(Some(7), None), &[]).unwrap();
    let event = res.events.iter().find(|e| e.ty == "wasm-config").expect("a config event");
    assert_eq!(attr_value(event, "action"), "updated");
    assert_eq!(attr_value(event, "sender"), alice.as_str());
    assert_eq!(attr_value(event, "mpc_timeout_blocks"), "7");
    let config = suite.config();
    assert_eq!(config.mpc_timeout_blocks, 7);
    assert_eq!(config.approval_timeout_blocks, APPROVAL_TIMEOUT);
    assert_eq!(config.keyring_contract, suite.keyring);

    let id = suite.request(&alice, key_id, vec![hash(1)]);
    let request = suite.query_request(id);
    assert_eq!(request.mpc_timeout_blocks, 7);
}

#[test]
fn update_config_refusals() {
    let mut suite = Suite::with_policy(None);
    let (alice, bob) = (suite.alice.clone(), suite.bob.clone());
    suite.assert_refused(
        &bob,
        &update(Some(7), None),
        &[],
        ContractError::Config(ConfigError::NotContractAdmin { sender: bob.clone() }),
    );
    suite.assert_refused(
        &alice,
        &update(Some(0), None),
        &[],
        ContractError::TimeoutOutOfRange(mpc_contract_kit::lifecycle::TimeoutOutOfRange {
            name: "mpc_timeout_blocks",
            timeout: 0,
            max: MAX_TIMEOUT_BLOCKS,
        }),
    );
    suite.assert_refused(
        &alice,
        &update(Some(7), None),
        &[coin(1, DENOM)],
        ContractError::Config(ConfigError::Payment(PaymentError::NonPayable {})),
    );
    let before = suite.config();
    let err =
        suite.execute(&alice, &update(None, Some("not an address".to_string())), &[]).unwrap_err();
    let message = contract_error(&err);
    assert!(message.contains("parse failed"), "{message}");
    assert_eq!(suite.config(), before, "a refused update changed the config");
}
