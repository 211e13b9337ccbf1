//! Keyring administration: creation, parties, admins, updates, (de)activation, and their refusals.

mod common;

use common::*;
use cosmwasm_std::{coin, Addr, Coin};
use mpc_contract_kit::config::ConfigError;
use mpc_contract_kit::contract::TooLong;
use mpc_contract_kit::lifecycle::TimeoutOutOfRange;
use mpc_interfaces::keyring::{
    ConfigResponse, ExecuteMsg, KeyringsResponse, QueryMsg, MAX_ADMINS, MAX_DESCRIPTION_LEN,
    MAX_FEE_DENOMS, MAX_KEY_REQUEST_TIMEOUT_BLOCKS, MAX_PARTIES,
};
use mpc_interfaces::KeyType;
use mpc_keyring::state::Role;
use mpc_keyring::ContractError;

fn create_msg(parties: &[Addr], threshold: u32) -> ExecuteMsg {
    ExecuteMsg::CreateKeyring {
        description: "ring".to_string(),
        parties: parties.iter().map(Addr::to_string).collect(),
        party_threshold: threshold,
        key_req_fee: vec![coin(KEY_FEE, DENOM)],
        sig_req_fee: vec![],
    }
}

fn many_addresses(suite: &Suite, prefix: &str, count: usize) -> Vec<Addr> {
    (0..count).map(|i| suite.app.api().addr_make(&format!("{prefix}{i}"))).collect()
}

#[test]
fn create_keyring_makes_sender_admin_and_stores_canonical_fees() {
    let mut suite = Suite::new();
    let admin = suite.admin.clone();
    let msg = ExecuteMsg::CreateKeyring {
        description: "federation A".to_string(),
        parties: suite.parties.iter().map(Addr::to_string).collect(),
        party_threshold: 2,
        // Given out of order: stored sorted by denom.
        key_req_fee: vec![coin(5, OTHER_DENOM), coin(7, DENOM)],
        sig_req_fee: vec![coin(3, DENOM)],
    };
    let res = suite.execute(&admin, &msg, &[]).unwrap();
    assert_eq!(actions(&res, "wasm-keyring"), vec!["created"]);
    assert_eq!(attribute(&res, "wasm-keyring", "keyring_id"), "1");

    let keyring = suite.keyring(1);
    assert_eq!(keyring.creator, admin);
    assert_eq!(keyring.admins, vec![admin]);
    assert_eq!(keyring.parties, suite.parties);
    assert_eq!(keyring.party_threshold, 2);
    assert_eq!(keyring.key_req_fee, vec![coin(7, DENOM), coin(5, OTHER_DENOM)]);
    assert_eq!(keyring.sig_req_fee, vec![coin(3, DENOM)]);
    assert_eq!(keyring.description, "federation A");
    assert!(keyring.active);
}

#[test]
fn create_keyring_refusals() {
    let mut suite = Suite::new();
    let admin = suite.admin.clone();
    let parties = suite.parties.clone();

    suite.assert_refused(&admin, &create_msg(&[], 1), &[], ContractError::NoParties);
    let too_many = many_addresses(&suite, "p", MAX_PARTIES + 1);
    suite.assert_refused(
        &admin,
        &create_msg(&too_many, 1),
        &[],
        ContractError::TooManyMembers {
            role: Role::Party,
            count: MAX_PARTIES + 1,
            max: MAX_PARTIES,
        },
    );
    let duplicated = vec![parties[0].clone(), parties[1].clone(), parties[0].clone()];
    suite.assert_refused(
        &admin,
        &create_msg(&duplicated, 1),
        &[],
        ContractError::DuplicateMember { role: Role::Party, member: parties[0].to_string() },
    );
    for threshold in [0, 4] {
        suite.assert_refused(
            &admin,
            &create_msg(&parties, threshold),
            &[],
            ContractError::ThresholdOutOfRange { threshold, parties: 3 },
        );
    }
    let long = ExecuteMsg::CreateKeyring {
        description: "x".repeat(MAX_DESCRIPTION_LEN + 1),
        parties: parties.iter().map(Addr::to_string).collect(),
        party_threshold: 1,
        key_req_fee: vec![],
        sig_req_fee: vec![],
    };
    suite.assert_refused(
        &admin,
        &long,
        &[],
        ContractError::TooLong(TooLong {
            field: "description",
            len: MAX_DESCRIPTION_LEN + 1,
            max: MAX_DESCRIPTION_LEN,
        }),
    );

    let with_fee = |key_req_fee: Vec<Coin>| ExecuteMsg::CreateKeyring {
        description: String::new(),
        parties: parties.iter().map(Addr::to_string).collect(),
        party_threshold: 1,
        key_req_fee,
        sig_req_fee: vec![],
    };
    suite.assert_refused(
        &admin,
        &with_fee(vec![coin(0, DENOM)]),
        &[],
        ContractError::ZeroFeeAmount { denom: DENOM.to_string() },
    );
    suite.assert_refused(
        &admin,
        &with_fee(vec![coin(1, DENOM), coin(2, OTHER_DENOM), coin(3, DENOM)]),
        &[],
        ContractError::DuplicateFeeDenom { denom: DENOM.to_string() },
    );
    suite.assert_refused(&admin, &with_fee(vec![coin(1, "")]), &[], ContractError::EmptyFeeDenom);
    let too_many_denoms = (0..=MAX_FEE_DENOMS).map(|i| coin(1, format!("denom{i}"))).collect();
    suite.assert_refused(
        &admin,
        &with_fee(too_many_denoms),
        &[],
        ContractError::TooManyFeeDenoms { count: MAX_FEE_DENOMS + 1, max: MAX_FEE_DENOMS },
    );
    // Funds sent with a message that takes none would be stranded.
    suite.assert_refused(
        &admin,
        &create_msg(&parties, 1),
        &[coin(1, DENOM)],
        ContractError::Payment(cw_utils::PaymentError::NonPayable {}),
    );
    suite.assert_refused(
        &admin,
        &ExecuteMsg::CreateKeyring {
            description: String::new(),
            parties: vec!["not-an-address".to_string()],
            party_threshold: 1,
            key_req_fee: vec![],
            sig_req_fee: vec![],
        },
        &[],
        ContractError::InvalidAddress { address: "not-an-address".to_string() },
    );
}

#[test]
fn add_party_with_new_threshold() {
    let mut suite = Suite::new();
    let id = suite.create_default_keyring();
    let admin = suite.admin.clone();
    let newcomer = suite.app.api().addr_make("party4");
    let res = suite
        .execute(
            &admin,
            &ExecuteMsg::AddParty {
                keyring_id: id,
                party: newcomer.to_string(),
                new_threshold: Some(3),
            },
            &[],
        )
        .unwrap();
    assert_eq!(actions(&res, "wasm-keyring"), vec!["party_added"]);
    assert_eq!(attribute(&res, "wasm-keyring", "party"), newcomer.to_string());
    let keyring = suite.keyring(id);
    assert_eq!(keyring.parties.len(), 4);
    assert_eq!(keyring.parties[3], newcomer);
    assert_eq!(keyring.party_threshold, 3);
}

#[test]
fn add_party_refusals() {
    let mut suite = Suite::new();
    let id = suite.create_default_keyring();
    let admin = suite.admin.clone();
    let stranger = suite.stranger.clone();
    let existing = suite.parties[0].to_string();
    let msg = |party: String, new_threshold| ExecuteMsg::AddParty {
        keyring_id: id,
        party,
        new_threshold,
    };

    // Authorisation comes first: even a bad input with funds is refused as "not an admin".
    suite.assert_refused(
        &stranger,
        &msg("not-an-address".to_string(), Some(0)),
        &[coin(1, DENOM)],
        ContractError::NotAdmin { sender: stranger.clone(), keyring_id: id },
    );
    suite.assert_refused(
        &admin,
        &ExecuteMsg::AddParty { keyring_id: 9, party: existing.clone(), new_threshold: None },
        &[],
        ContractError::KeyringNotFound { keyring_id: 9 },
    );
    suite.assert_refused(
        &admin,
        &msg(existing.clone(), None),
        &[],
        ContractError::DuplicateMember { role: Role::Party, member: existing.clone() },
    );
    suite.assert_refused(
        &admin,
        &msg(existing.clone(), None),
        &[coin(1, DENOM)],
        ContractError::Payment(cw_utils::PaymentError::NonPayable {}),
    );
    suite.assert_refused(
        &admin,
        &msg("not-an-address".to_string(), None),
        &[],
        ContractError::InvalidAddress { address: "not-an-address".to_string() },
    );
    let newcomer = suite.app.api().addr_make("party4").to_string();
    for threshold in [0, 5] {
        suite.assert_refused(
            &admin,
            &msg(newcomer.clone(), Some(threshold)),
            &[],
            ContractError::ThresholdOutOfRange { threshold, parties: 4 },
        );
    }

    // Fill the keyring up to the bound.
    for party in many_addresses(&suite, "extra", MAX_PARTIES - 3) {
        suite.execute(&admin, &msg(party.to_string(), None), &[]).unwrap();
    }
    suite.assert_refused(
        &admin,
        &msg(newcomer, None),
        &[],
        ContractError::TooManyMembers {
            role: Role::Party,
            count: MAX_PARTIES + 1,
            max: MAX_PARTIES,
        },
    );
}

#[test]
fn remove_party_lowers_threshold_when_asked() {
    let mut suite = Suite::new();
    let id = suite.create_default_keyring();
    let admin = suite.admin.clone();
    let removed = suite.parties[1].clone();
    let res = suite
        .execute(
            &admin,
            &ExecuteMsg::RemoveParty {
                keyring_id: id,
                party: removed.to_string(),
                new_threshold: Some(1),
            },
            &[],
        )
        .unwrap();
    assert_eq!(actions(&res, "wasm-keyring"), vec!["party_removed"]);
    assert_eq!(attribute(&res, "wasm-keyring", "party"), removed.to_string());
    let keyring = suite.keyring(id);
    assert_eq!(keyring.parties, vec![suite.parties[0].clone(), suite.parties[2].clone()]);
    assert_eq!(keyring.party_threshold, 1);
}

#[test]
fn remove_party_refusals() {
    let mut suite = Suite::new();
    let admin = suite.admin.clone();
    let stranger = suite.stranger.clone();
    let parties = suite.parties.clone();
    // 3 of 3: removing one party without a new threshold leaves it out of range.
    suite.execute(&admin, &create_msg(&parties, 3), &[]).unwrap();
    let msg = |party: &Addr, new_threshold| ExecuteMsg::RemoveParty {
        keyring_id: 1,
        party: party.to_string(),
        new_threshold,
    };

    suite.assert_refused(
        &stranger,
        &msg(&parties[0], None),
        &[],
        ContractError::NotAdmin { sender: stranger.clone(), keyring_id: 1 },
    );
    suite.assert_refused(
        &admin,
        &msg(&stranger, None),
        &[],
        ContractError::UnknownMember {
            keyring_id: 1,
            role: Role::Party,
            member: stranger.to_string(),
        },
    );
    suite.assert_refused(
        &admin,
        &msg(&parties[0], None),
        &[],
        ContractError::ThresholdOutOfRange { threshold: 3, parties: 2 },
    );
    suite.assert_refused(
        &admin,
        &msg(&parties[0], Some(0)),
        &[],
        ContractError::ThresholdOutOfRange { threshold: 0, parties: 2 },
    );

    suite.execute(&admin, &msg(&parties[0], Some(1)), &[]).unwrap();
    suite.execute(&admin, &msg(&parties[1], None), &[]).unwrap();
    suite.assert_refused(
        &admin,
        &msg(&parties[2], None),
        &[],
        ContractError::CannotRemoveLast { keyring_id: 1, role: Role::Party },
    );
}

#[test]
fn admins_are_added_and_removed() {
    let mut suite = Suite::new();
    let id = suite.create_default_keyring();
    let admin = suite.admin.clone();
    let second = suite.stranger.clone();
    let res = suite
        .execute(&admin, &ExecuteMsg::AddAdmin { keyring_id: id, admin: second.to_string() }, &[])
        .unwrap();
    assert_eq!(actions(&res, "wasm-keyring"), vec!["admin_added"]);
    assert_eq!(suite.keyring(id).admins, vec![admin.clone(), second.clone()]);

    // The new admin can act, including removing the first one.
    let res = suite
        .execute(
            &second,
            &ExecuteMsg::RemoveAdmin { keyring_id: id, admin: admin.to_string() },
            &[],
        )
        .unwrap();
    assert_eq!(actions(&res, "wasm-keyring"), vec!["admin_removed"]);
    assert_eq!(attribute(&res, "wasm-keyring", "admin"), admin.to_string());
    assert_eq!(suite.keyring(id).admins, vec![second]);
}

#[test]
fn admin_refusals() {
    let mut suite = Suite::new();
    let id = suite.create_default_keyring();
    let admin = suite.admin.clone();
    let stranger = suite.stranger.clone();
    let add = |a: &Addr| ExecuteMsg::AddAdmin { keyring_id: id, admin: a.to_string() };
    let remove = |a: &Addr| ExecuteMsg::RemoveAdmin { keyring_id: id, admin: a.to_string() };
    let not_admin = ContractError::NotAdmin { sender: stranger.clone(), keyring_id: id };

    suite.assert_refused(&stranger, &add(&stranger), &[], not_admin);
    suite.assert_refused(
        &stranger,
        &remove(&admin),
        &[],
        ContractError::NotAdmin { sender: stranger.clone(), keyring_id: id },
    );
    suite.assert_refused(
        &admin,
        &add(&admin),
        &[],
        ContractError::DuplicateMember { role: Role::Admin, member: admin.to_string() },
    );
    suite.assert_refused(
        &admin,
        &remove(&stranger),
        &[],
        ContractError::UnknownMember {
            keyring_id: id,
            role: Role::Admin,
            member: stranger.to_string(),
        },
    );
    suite.assert_refused(
        &admin,
        &remove(&admin),
        &[],
        ContractError::CannotRemoveLast { keyring_id: id, role: Role::Admin },
    );
    suite.assert_refused(
        &admin,
        &ExecuteMsg::AddAdmin { keyring_id: id, admin: "Not An Address".to_string() },
        &[],
        ContractError::InvalidAddress { address: "Not An Address".to_string() },
    );

    for extra in many_addresses(&suite, "admin", MAX_ADMINS - 1) {
        suite.execute(&admin, &add(&extra), &[]).unwrap();
    }
    assert_eq!(suite.keyring(id).admins.len(), MAX_ADMINS);
    suite.assert_refused(
        &admin,
        &add(&stranger),
        &[],
        ContractError::TooManyMembers { role: Role::Admin, count: MAX_ADMINS + 1, max: MAX_ADMINS },
    );
}

#[test]
fn update_keyring_changes_only_given_fields() {
    let mut suite = Suite::new();
    let id = suite.create_default_keyring();
    let admin = suite.admin.clone();
    let before = suite.keyring(id);
    let res = suite
        .execute(
            &admin,
            &ExecuteMsg::UpdateKeyring {
                keyring_id: id,
                description: None,
                party_threshold: Some(3),
                key_req_fee: Some(vec![coin(9, OTHER_DENOM), coin(4, DENOM)]),
                sig_req_fee: None,
            },
            &[],
        )
        .unwrap();
    assert_eq!(actions(&res, "wasm-keyring"), vec!["updated"]);
    let after = suite.keyring(id);
    assert_eq!(after.party_threshold, 3);
    assert_eq!(after.key_req_fee, vec![coin(4, DENOM), coin(9, OTHER_DENOM)]);
    assert_eq!(after.description, before.description);
    assert_eq!(after.sig_req_fee, before.sig_req_fee);
    assert_eq!(after.parties, before.parties);
}

#[test]
fn update_keyring_refusals() {
    let mut suite = Suite::new();
    let id = suite.create_default_keyring();
    let admin = suite.admin.clone();
    let stranger = suite.stranger.clone();
    let update = |description: Option<String>, threshold, fee: Option<Vec<Coin>>| {
        ExecuteMsg::UpdateKeyring {
            keyring_id: id,
            description,
            party_threshold: threshold,
            key_req_fee: fee,
            sig_req_fee: None,
        }
    };
    suite.assert_refused(
        &stranger,
        &update(None, Some(0), None),
        &[],
        ContractError::NotAdmin { sender: stranger.clone(), keyring_id: id },
    );
    suite.assert_refused(
        &admin,
        &update(None, Some(4), None),
        &[],
        ContractError::ThresholdOutOfRange { threshold: 4, parties: 3 },
    );
    suite.assert_refused(
        &admin,
        &update(Some("d".repeat(MAX_DESCRIPTION_LEN + 1)), None, None),
        &[],
        ContractError::TooLong(TooLong {
            field: "description",
            len: MAX_DESCRIPTION_LEN + 1,
            max: MAX_DESCRIPTION_LEN,
        }),
    );
    // A valid threshold next to a bad fee: nothing of the message is applied.
    suite.assert_refused(
        &admin,
        &update(None, Some(3), Some(vec![coin(0, DENOM)])),
        &[],
        ContractError::ZeroFeeAmount { denom: DENOM.to_string() },
    );
}

#[test]
fn deactivate_and_activate() {
    let mut suite = Suite::new();
    let id = suite.create_default_keyring();
    let admin = suite.admin.clone();
    let stranger = suite.stranger.clone();

    suite.assert_refused(
        &stranger,
        &ExecuteMsg::DeactivateKeyring { keyring_id: id },
        &[],
        ContractError::NotAdmin { sender: stranger.clone(), keyring_id: id },
    );
    suite.assert_refused(
        &admin,
        &ExecuteMsg::ActivateKeyring { keyring_id: id },
        &[],
        ContractError::KeyringAlreadyActive { keyring_id: id },
    );
    let res =
        suite.execute(&admin, &ExecuteMsg::DeactivateKeyring { keyring_id: id }, &[]).unwrap();
    assert_eq!(actions(&res, "wasm-keyring"), vec!["deactivated"]);
    assert!(!suite.keyring(id).active);
    suite.assert_refused(
        &admin,
        &ExecuteMsg::DeactivateKeyring { keyring_id: id },
        &[],
        ContractError::KeyringAlreadyInactive { keyring_id: id },
    );
    suite.assert_refused(
        &stranger,
        &ExecuteMsg::ActivateKeyring { keyring_id: id },
        &[],
        ContractError::NotAdmin { sender: stranger.clone(), keyring_id: id },
    );
    let res = suite.execute(&admin, &ExecuteMsg::ActivateKeyring { keyring_id: id }, &[]).unwrap();
    assert_eq!(actions(&res, "wasm-keyring"), vec!["activated"]);
    assert!(suite.keyring(id).active);
}

#[test]
fn keyrings_page_in_id_order() {
    let mut suite = Suite::new();
    for _ in 0..5 {
        suite.create_default_keyring();
    }
    let page = |start_after, limit| -> Vec<u64> {
        let res: KeyringsResponse = suite.query(&QueryMsg::Keyrings { start_after, limit });
        res.keyrings.iter().map(|k| k.id).collect()
    };
    assert_eq!(page(None, Some(2)), vec![1, 2]);
    assert_eq!(page(Some(2), Some(2)), vec![3, 4]);
    assert_eq!(page(Some(4), None), vec![5]);
    assert_eq!(page(Some(5), None), Vec::<u64>::new());
    assert!(suite
        .query_err(&QueryMsg::Keyring { keyring_id: 6 })
        .contains(&ContractError::KeyringNotFound { keyring_id: 6 }.to_string()));
}

/// The contract's admin on the chain changes the workspace contract and the default key request
/// timeout; nobody else may, and a refused update changes nothing.
#[test]
fn the_contract_admin_updates_the_config() {
    let mut suite = Suite::new();
    let (admin, stranger) = (suite.admin.clone(), suite.stranger.clone());
    let update = |workspace_contract: Option<String>, key_request_timeout_blocks| {
        ExecuteMsg::UpdateConfig { workspace_contract, key_request_timeout_blocks }
    };
    suite.assert_refused(
        &stranger,
        &update(None, Some(5)),
        &[],
        ContractError::Config(ConfigError::NotContractAdmin { sender: stranger.clone() }),
    );
    suite.assert_refused(
        &admin,
        &update(None, Some(0)),
        &[],
        ContractError::TimeoutOutOfRange(TimeoutOutOfRange {
            name: "key_request_timeout_blocks",
            timeout: 0,
            max: MAX_KEY_REQUEST_TIMEOUT_BLOCKS,
        }),
    );
    suite.assert_refused(
        &admin,
        &update(None, Some(5)),
        &[coin(1, DENOM)],
        ContractError::Config(ConfigError::Payment(cw_utils::PaymentError::NonPayable {})),
    );

    let workspace = suite.workspace.to_string();
    let res = suite.execute(&admin, &update(Some(workspace.clone()), Some(5)), &[]).unwrap();
    assert_eq!(actions(&res, "wasm-config"), vec!["updated"]);
    assert_eq!(attribute(&res, "wasm-config", "key_request_timeout_blocks"), "5");
    assert_eq!(attribute(&res, "wasm-config", "workspace_contract"), workspace);
    let config: ConfigResponse = suite.query(&QueryMsg::Config {});
    assert_eq!(config.key_request_timeout_blocks, 5);
    let keyring_id = suite.create_default_keyring();
    let request_id = suite.request_key(keyring_id, KeyType::EcdsaSecp256k1);
    assert_eq!(suite.request(request_id).deadline_height, suite.height() + 5);
}
