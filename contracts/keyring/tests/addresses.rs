//! The `Addresses` query: published vectors, the uncompressed point from the host's
//! `secp256k1_recover_pubkey` for both y parities and both halves of x, and its refusals.

mod common;

use common::*;
use cosmwasm_std::testing::MockApi;
use cosmwasm_std::Binary;
use k256::elliptic_curve::sec1::ToEncodedPoint;
use mpc_interfaces::keyring::{AddressesResponse, BitcoinAddresses, QueryMsg};
use mpc_interfaces::KeyType;
use mpc_keyring::query::uncompressed_secp256k1;
use mpc_keyring::ContractError;

fn bytes<const N: usize>(hex_str: &str) -> [u8; N] {
    hex::decode(hex_str).unwrap().try_into().unwrap()
}

/// The secp256k1 generator G: private key 1's public key, and BIP-173's example key.
const G: &str = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
/// cosmjs, packages/amino/src/addresses.spec.ts ("pubkeyToAddress works for Secp256k1"):
/// AtQaCqFnshaZQp6rIkvAPyzThvCvXSDO+9AzbxVErqJP, in hex.
const COSMJS_KEY: &str = "02d41a0aa167b21699429eab224bc03f2cd386f0af5d20cefbd0336f1544aea24f";
/// n/2 (big-endian): an s above it is "high".
const HALF_ORDER: &str = "7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0";

/// Makes a key of `key_type` with `public_key` (every party answers it); returns its id.
fn make_key(suite: &mut Suite, keyring_id: u64, key_type: KeyType, public_key: &[u8]) -> u64 {
    let request_id = suite.request_key(keyring_id, key_type);
    suite.fulfil(request_id, &Binary::from(public_key));
    suite.request(request_id).key_id.expect("the key was made")
}

fn addresses(suite: &Suite, key_id: u64, prefix: Option<&str>) -> AddressesResponse {
    suite.query(&QueryMsg::Addresses { key_id, bech32_prefix: prefix.map(str::to_string) })
}

#[test]
fn published_addresses_of_known_keys() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();

    // Private key 1: EVM 0x7E5F…5Bdf (every Ethereum library's tests, e.g. ethers.js
    // `new Wallet("0x00…01").address`); Bitcoin P2WPKH from BIP-173's "Examples" (the same key).
    let g = make_key(&mut suite, keyring_id, KeyType::EcdsaSecp256k1, &bytes::<33>(G));
    assert_eq!(
        addresses(&suite, g, None),
        AddressesResponse {
            key_id: g,
            evm: Some("0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf".to_string()),
            cosmos: None,
            bitcoin: Some(BitcoinAddresses {
                mainnet: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4".to_string(),
                testnet: "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx".to_string(),
                // Not in BIP-173: the same program under bcrt (checked in mpc-payloads).
                regtest: "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080".to_string(),
            }),
            solana: None,
        }
    );

    // cosmjs's key under "cosmos": cosmos1h806c7khnvmjlywdrkdgk2vrayy2mmvf9rxk2r.
    let cosmjs =
        make_key(&mut suite, keyring_id, KeyType::EcdsaSecp256k1, &bytes::<33>(COSMJS_KEY));
    let response = addresses(&suite, cosmjs, Some("cosmos"));
    assert_eq!(response.cosmos.as_deref(), Some("cosmos1h806c7khnvmjlywdrkdgk2vrayy2mmvf9rxk2r"));
    assert!(response.evm.is_some() && response.bitcoin.is_some() && response.solana.is_none());

    // solana-web3.js, test/keypair.test.ts ("generate keypair from random seed"): the Ed25519
    // key of seed [8; 32] is 2KW2XRd9kwqet15Aha2oK3tYvd3nWbTFH1MBiRAv1BE1. A prefix is not read.
    let seed8 = ed25519_dalek::SigningKey::from_bytes(&[8u8; 32]).verifying_key().to_bytes();
    let solana = make_key(&mut suite, keyring_id, KeyType::EddsaEd25519, &seed8);
    assert_eq!(
        addresses(&suite, solana, Some("cosmos")),
        AddressesResponse {
            key_id: solana,
            evm: None,
            cosmos: None,
            bitcoin: None,
            solana: Some("2KW2XRd9kwqet15Aha2oK3tYvd3nWbTFH1MBiRAv1BE1".to_string()),
        }
    );
}

/// The contract decompresses a key by recovering "signature" (x, x) over the zero hash with the
/// key's y parity. cosmwasm's recovery takes an s above n/2 (it normalises it and flips the
/// parity), so the four kinds of key (y even or odd, x below or above n/2) all come back as
/// k256 decompresses them, in the contract and with the host function alone.
#[test]
fn evm_addresses_of_both_parities_and_both_halves() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let half = bytes::<32>(HALF_ORDER);
    let mut seen = [[false; 2]; 2];
    for secret in 1u8..=255 {
        let mut scalar = [0u8; 32];
        scalar[31] = secret;
        let public = k256::SecretKey::from_slice(&scalar).unwrap().public_key();
        let compressed: [u8; 33] = public.to_encoded_point(true).as_bytes().try_into().unwrap();
        let uncompressed: [u8; 65] = public.to_encoded_point(false).as_bytes().try_into().unwrap();
        let (odd, high) = ((compressed[0] & 1) as usize, (compressed[1..] > half[..]) as usize);
        if seen[odd][high] {
            continue;
        }
        seen[odd][high] = true;
        assert_eq!(
            uncompressed_secp256k1(&MockApi::default(), &compressed).unwrap(),
            Some(uncompressed)
        );
        let key_id = make_key(&mut suite, keyring_id, KeyType::EcdsaSecp256k1, &compressed);
        let evm = addresses(&suite, key_id, None).evm;
        assert_eq!(evm, Some(mpc_payloads::evm_address(&uncompressed)), "key {secret}");
        if seen == [[true; 2]; 2] {
            return;
        }
    }
    panic!("no key of every kind among the first 255: {seen:?}");
}

/// A point whose x is at least the curve order n is a valid key (about 2^-128 of them), but x
/// is then no valid r, so the host cannot recover it: no EVM address, the others as usual.
#[test]
fn a_key_with_x_above_the_order_has_no_evm_address() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let order = bytes::<32>("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    let key = (0u8..=255)
        .map(|i| {
            let mut key = [0u8; 33];
            key[0] = 0x02;
            key[1..].copy_from_slice(&order);
            key[32] += i;
            key
        })
        .find(|key| k256::PublicKey::from_sec1_bytes(key).is_ok())
        .expect("a point with x in n..n+255");
    let key_id = make_key(&mut suite, keyring_id, KeyType::EcdsaSecp256k1, &key);
    let response = addresses(&suite, key_id, Some("cosmos"));
    assert_eq!(response.evm, None);
    assert_eq!(uncompressed_secp256k1(&MockApi::default(), &key).unwrap(), None);
    assert!(response.cosmos.is_some() && response.bitcoin.is_some());
}

#[test]
fn unknown_keys_and_bad_prefixes_are_refused() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let err = suite.query_err(&QueryMsg::Addresses { key_id: 7, bech32_prefix: None });
    assert!(err.contains(&ContractError::KeyNotFound { key_id: 7 }.to_string()), "{err}");

    let key_id = make_key(&mut suite, keyring_id, KeyType::EcdsaSecp256k1, &bytes::<33>(G));
    let long = "a".repeat(84);
    for (prefix, reason) in [
        ("", "it is empty"),
        (&long, "it is longer than 83 characters"),
        ("Cosmos", "'C' is not a lower-case ASCII letter or digit"),
        ("cosmos!", "'!' is not a lower-case ASCII letter or digit"),
    ] {
        let msg = QueryMsg::Addresses { key_id, bech32_prefix: Some(prefix.to_string()) };
        let expected = ContractError::InvalidBech32Prefix {
            prefix: prefix.to_string(),
            reason: reason.to_string(),
        };
        let err = suite.query_err(&msg);
        assert!(err.contains(&expected.to_string()), "{prefix:?}: {err}");
    }
}
