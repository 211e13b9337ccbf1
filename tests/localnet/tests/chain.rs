//! The harness against a real wasmd node: blocks, funded accounts whose exported keys are the
//! accounts' keys, bank transfers and their refusals.

use k256::ecdsa::SigningKey;
use mpc_localnet::{Localnet, LocalnetError, ACCOUNT_BALANCE, BECH32_PREFIX, DENOM, VALIDATOR};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

/// The Cosmos SDK account address of a secp256k1 key: bech32(ripemd160(sha256(compressed pubkey))).
fn address_of(private_key: &[u8; 32]) -> String {
    let key = SigningKey::from_slice(private_key).expect("a valid secp256k1 key");
    let public = key.verifying_key().to_encoded_point(true);
    let hash = Ripemd160::digest(Sha256::digest(public.as_bytes()));
    bech32::encode::<bech32::Bech32>(bech32::Hrp::parse(BECH32_PREFIX).unwrap(), &hash).unwrap()
}

#[test]
fn funded_accounts_blocks_and_bank_transfers() {
    let chain = Localnet::start(&["alice", "bob"]).expect("localnet starts");

    // Blocks keep coming (about every 0.3 s).
    let height = chain.height().unwrap();
    chain.wait_for_height(height + 2).unwrap();

    // Every account, the validator's too, is funded, and its exported private key is the key of
    // its address, so Rust code can sign for it.
    assert_eq!(chain.accounts().len(), 3);
    for account in chain.accounts().values() {
        assert_eq!(
            address_of(&account.private_key()),
            account.address,
            "{}",
            account.name
        );
        assert!(account.address.starts_with("wasm1"));
    }
    let alice = chain.account("alice").unwrap().address.clone();
    let bob = chain.account("bob").unwrap().address.clone();
    assert_eq!(chain.balance(&alice, DENOM).unwrap(), ACCOUNT_BALANCE);
    assert_eq!(chain.balance(&bob, DENOM).unwrap(), ACCOUNT_BALANCE);
    assert!(
        chain
            .balance(&chain.account(VALIDATOR).unwrap().address, DENOM)
            .unwrap()
            > 0
    );

    // A transfer lands in a block, with its event (fees are zero on this chain).
    let sent = chain
        .bank_send("alice", &bob, &format!("1234{DENOM}"))
        .unwrap();
    assert!(sent.height > height);
    assert!(sent.gas_used > 0);
    assert_eq!(sent.attribute("transfer", "recipient"), Some(bob.as_str()));
    assert_eq!(
        chain.balance(&alice, DENOM).unwrap(),
        ACCOUNT_BALANCE - 1234
    );
    assert_eq!(chain.balance(&bob, DENOM).unwrap(), ACCOUNT_BALANCE + 1234);

    // More than alice has: refused, nothing moves.
    let too_much = format!("{}{DENOM}", ACCOUNT_BALANCE * 2);
    match chain.bank_send("alice", &bob, &too_much) {
        Err(LocalnetError::TxRefused { log, .. }) => {
            assert!(log.contains("insufficient funds"), "{log}")
        }
        other => panic!("expected a refused transfer, got {other:?}"),
    }
    assert_eq!(
        chain.balance(&alice, DENOM).unwrap(),
        ACCOUNT_BALANCE - 1234
    );
    assert_eq!(chain.balance(&bob, DENOM).unwrap(), ACCOUNT_BALANCE + 1234);

    // Unknown key names are refused by the harness itself.
    assert!(matches!(
        chain.bank_send("mallory", &bob, "1stake"),
        Err(LocalnetError::UnknownAccount(name)) if name == "mallory"
    ));
}

#[test]
fn dropping_the_localnet_stops_the_node_and_removes_its_home() {
    let chain = Localnet::start(&[]).expect("localnet starts");
    let home = chain.home().to_path_buf();
    let rpc = chain.rpc_url().trim_start_matches("http://").to_string();
    assert!(home.join("config/genesis.json").is_file());
    assert!(std::net::TcpStream::connect(&rpc).is_ok());

    drop(chain);
    assert!(!home.exists(), "{} is left behind", home.display());
    assert!(
        std::net::TcpStream::connect(&rpc).is_err(),
        "the node still listens on {rpc}"
    );
}

#[test]
fn an_account_name_given_twice_is_refused() {
    assert!(matches!(
        Localnet::start(&["alice", "alice"]),
        Err(LocalnetError::Unexpected(message)) if message.contains("given twice")
    ));
    assert!(matches!(
        Localnet::start(&[VALIDATOR]),
        Err(LocalnetError::Unexpected(message)) if message.contains("given twice")
    ));
}
