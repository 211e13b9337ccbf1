//! A share-store secret read from an environment variable is removed from the environment once
//! read, so no child process inherits it and nothing that dumps the environment shows it.
//!
//! A test binary of its own: it changes this process's environment, which is sound only while
//! no other thread reads it (here no other test runs beside it).

use mpc_connector::config::PartySection;

fn party(key_env: Option<&str>, secret_env: Option<&str>) -> PartySection {
    PartySection {
        name: "party-0".into(),
        chain_key_file: "keys/p0.chain.key".into(),
        store_path: "data/party-0.redb".into(),
        shares_dir: "data/party-0-shares".into(),
        shares_key_file: None,
        shares_secret_file: None,
        shares_key_env: key_env.map(String::from),
        shares_secret_env: secret_env.map(String::from),
    }
}

#[test]
fn a_secret_read_from_the_environment_is_removed_from_it() {
    let key = "MPC_SECRET_ENV_TEST_KEY";
    let passphrase = "MPC_SECRET_ENV_TEST_PASSPHRASE";
    std::env::set_var(key, "ab".repeat(32));
    std::env::set_var(passphrase, "a passphrase of 16 bytes or more");

    let secret = party(Some(key), None).share_secret().unwrap();
    assert!(matches!(secret, mpc_party::StoreSecret::Key(_)));
    assert_eq!(
        std::env::var_os(key),
        None,
        "${key} is left in the environment"
    );
    assert!(
        std::env::var_os(passphrase).is_some(),
        "only the variable read goes"
    );

    let secret = party(None, Some(passphrase)).share_secret().unwrap();
    assert!(matches!(secret, mpc_party::StoreSecret::Passphrase(_)));
    assert_eq!(std::env::var_os(passphrase), None);

    // A second read finds nothing: the secret is read once, when `connector run` starts.
    let error = party(Some(key), None).share_secret().unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("party.shares_key_env: ${key} is not set")
    );

    // A value that is not a secret is removed all the same.
    std::env::set_var(passphrase, "too short");
    let error = party(None, Some(passphrase)).share_secret().unwrap_err();
    assert_eq!(
        error.to_string(),
        "party.shares_secret_env: the share-store passphrase must be at least 16 bytes"
    );
    assert_eq!(std::env::var_os(passphrase), None);
}
