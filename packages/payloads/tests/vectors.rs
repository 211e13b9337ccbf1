//! Published test vectors, each with its source.

use k256::elliptic_curve::sec1::ToEncodedPoint;
use mpc_payloads::{
    bitcoin_p2wpkh, check_payloads_len, cosmos_address, digest, eip55_checksum, eip712_digest,
    evm_address, solana_address, BitcoinNetwork, HashKind, PayloadError, MAX_PAYLOADS_LEN,
    MAX_PAYLOAD_LEN,
};

fn bytes<const N: usize>(hex_str: &str) -> [u8; N] {
    hex::decode(hex_str.trim_start_matches("0x"))
        .unwrap()
        .try_into()
        .unwrap()
}

/// The secp256k1 generator G: the public key of private key 1, and BIP-173's example key.
const G_COMPRESSED: &str = "0279BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798";

fn secp256k1_public_key(secret: u8) -> (k256::PublicKey, [u8; 33], [u8; 65]) {
    let mut scalar = [0u8; 32];
    scalar[31] = secret;
    let public = k256::SecretKey::from_slice(&scalar).unwrap().public_key();
    let compressed = public.to_encoded_point(true).as_bytes().try_into().unwrap();
    let uncompressed = public
        .to_encoded_point(false)
        .as_bytes()
        .try_into()
        .unwrap();
    (public, compressed, uncompressed)
}

#[test]
fn evm_address_of_private_key_one() {
    // Private key 1's address, as every Ethereum library's tests give it (e.g. ethers.js
    // `new Wallet("0x00…01").address`, web3.py's eth-account docs): 0x7E5F…5Bdf.
    let (_, compressed, uncompressed) = secp256k1_public_key(1);
    assert_eq!(compressed, bytes::<33>(G_COMPRESSED));
    assert_eq!(
        evm_address(&uncompressed),
        "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
    );
}

#[test]
fn eip55_examples_from_the_eip() {
    // EIP-55 (https://eips.ethereum.org/EIPS/eip-55), "Test Cases": all caps, all lower, normal.
    for address in [
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77",
        "0x27b1fdb04752bbc536007a920d24acb045561c26",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ] {
        assert_eq!(
            eip55_checksum(&bytes::<20>(&address.to_lowercase())),
            address
        );
    }
}

#[test]
fn cosmos_address_from_cosmjs() {
    // cosmjs, packages/amino/src/addresses.spec.ts, "pubkeyToAddress works for Secp256k1":
    // pubkey AtQaCqFnshaZQp6rIkvAPyzThvCvXSDO+9AzbxVErqJP (base64) under "cosmos".
    let key = bytes::<33>("02d41a0aa167b21699429eab224bc03f2cd386f0af5d20cefbd0336f1544aea24f");
    assert_eq!(
        cosmos_address("cosmos", &key).unwrap(),
        "cosmos1h806c7khnvmjlywdrkdgk2vrayy2mmvf9rxk2r"
    );
    // The same hash under another chain's prefix: only the prefix and checksum differ.
    let osmo = cosmos_address("osmo", &key).unwrap();
    let (_, cosmos_data) = bech32::decode("cosmos1h806c7khnvmjlywdrkdgk2vrayy2mmvf9rxk2r").unwrap();
    let (hrp, osmo_data) = bech32::decode(&osmo).unwrap();
    assert_eq!((hrp.as_str(), osmo_data), ("osmo", cosmos_data));
}

#[test]
fn cosmos_address_refuses_bad_prefixes() {
    let key = bytes::<33>(G_COMPRESSED);
    for prefix in [
        "",
        "Cosmos",
        "COSMOS",
        "cos mos",
        "cosmos1!",
        "évm",
        &"a".repeat(84),
    ] {
        let err = cosmos_address(prefix, &key).unwrap_err();
        assert!(
            matches!(&err, PayloadError::InvalidBech32Prefix { prefix: p, .. } if p == prefix),
            "{prefix:?}: {err}"
        );
    }
    // BIP-173's longest human-readable part, 83 characters, is the longest prefix.
    assert!(cosmos_address(&"a".repeat(83), &key)
        .unwrap()
        .starts_with(&"a".repeat(83)));
}

#[test]
fn bitcoin_p2wpkh_from_bip_173() {
    // BIP-173 (https://github.com/bitcoin/bips/blob/master/bip-0173.mediawiki), "Examples": the
    // P2WPKH addresses of key 0279BE667E…F81798 on mainnet and testnet.
    let key = bytes::<33>(G_COMPRESSED);
    assert_eq!(
        bitcoin_p2wpkh(BitcoinNetwork::Mainnet, &key),
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    );
    assert_eq!(
        bitcoin_p2wpkh(BitcoinNetwork::Testnet, &key),
        "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"
    );
    // Regtest: the same program under bcrt.
    let regtest = bitcoin_p2wpkh(BitcoinNetwork::Regtest, &key);
    let (hrp, version, program) = bech32::segwit::decode(&regtest).unwrap();
    assert_eq!((hrp.as_str(), version.to_u8()), ("bcrt", 0));
    assert_eq!(
        hex::encode(program),
        "751e76e8199196d454941c45d1b3a323f1433bd6"
    );
}

#[test]
fn solana_address_from_solana_web3js() {
    // solana-web3.js, test/keypair.test.ts, "generate keypair from random seed": the key of
    // seed [8; 32].
    let key = ed25519_dalek::SigningKey::from_bytes(&[8u8; 32])
        .verifying_key()
        .to_bytes();
    assert_eq!(
        solana_address(&key),
        "2KW2XRd9kwqet15Aha2oK3tYvd3nWbTFH1MBiRAv1BE1"
    );
}

#[test]
fn keccak256_of_eip155_example_transaction() {
    // EIP-155 (https://eips.ethereum.org/EIPS/eip-155), "Example": nonce 9, gas price 20 gwei,
    // gas 21000, to 0x3535…35, value 1 ether, data empty, chain id 1: its signing data and hash.
    let signing_data = hex::decode(
        "ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a7640000\
         80018080",
    )
    .unwrap();
    assert_eq!(
        digest(HashKind::Keccak256, &signing_data).unwrap(),
        bytes::<32>("daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53")
    );
}

/// The "Mail" example of EIP-712 (https://eips.ethereum.org/EIPS/eip-712, assets/eip-712/
/// Example.js), as `eth_signTypedData_v4` takes it.
const EIP712_MAIL: &str = r#"{
  "types": {
    "EIP712Domain": [
      { "name": "name", "type": "string" },
      { "name": "version", "type": "string" },
      { "name": "chainId", "type": "uint256" },
      { "name": "verifyingContract", "type": "address" }
    ],
    "Person": [
      { "name": "name", "type": "string" },
      { "name": "wallet", "type": "address" }
    ],
    "Mail": [
      { "name": "from", "type": "Person" },
      { "name": "to", "type": "Person" },
      { "name": "contents", "type": "string" }
    ]
  },
  "primaryType": "Mail",
  "domain": {
    "name": "Ether Mail",
    "version": "1",
    "chainId": 1,
    "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"
  },
  "message": {
    "from": { "name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826" },
    "to": { "name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB" },
    "contents": "Hello, Bob!"
  }
}"#;

#[test]
fn eip712_mail_example() {
    // The EIP's Example.js: the signing hash of the Mail message (0xbe609aee…957bd2).
    let expected = bytes::<32>("be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2");
    assert_eq!(eip712_digest(EIP712_MAIL.as_bytes()).unwrap(), expected);
    // `digest` takes the same path when the feature is on (the connector's build).
    assert_eq!(
        digest(HashKind::Eip712, EIP712_MAIL.as_bytes()).unwrap(),
        expected
    );
    // A field of another type than declared, or no JSON at all, is refused with the reason.
    let wrong = EIP712_MAIL.replace(r#""chainId": 1"#, r#""chainId": "one""#);
    assert!(matches!(
        eip712_digest(wrong.as_bytes()),
        Err(PayloadError::InvalidTypedData { .. })
    ));
    assert!(matches!(
        eip712_digest(b"not json"),
        Err(PayloadError::InvalidTypedData { .. })
    ));
}

#[test]
fn eip191_hello_world() {
    // viem's docs, utilities/hashMessage: hashMessage('hello world') = 0xd9eba16e…7d68
    // (ethers.js `hashMessage("hello world")` gives the same).
    assert_eq!(
        digest(HashKind::Eip191, b"hello world").unwrap(),
        bytes::<32>("d9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68")
    );
}

#[test]
fn sha256d_of_the_bitcoin_genesis_block_header() {
    // The genesis block's 80-byte header; its hash, displayed byte-reversed as block explorers
    // and Bitcoin Core show it, is 000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f
    // (https://en.bitcoin.it/wiki/Genesis_block).
    let header = hex::decode(
        "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c",
    )
    .unwrap();
    let mut hash = digest(HashKind::Sha256d, &header).unwrap();
    hash.reverse();
    assert_eq!(
        hex::encode(hash),
        "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
    );
}

#[test]
fn sha256_and_cosmos_sign_doc() {
    // FIPS 180-2, appendix B.1: SHA-256("abc").
    let abc = bytes::<32>("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_eq!(digest(HashKind::Sha256, b"abc").unwrap(), abc);
    // A SignDoc is signed as the sha256 of its protobuf bytes (SIGN_MODE_DIRECT).
    assert_eq!(digest(HashKind::CosmosSignDoc, b"abc").unwrap(), abc);
}

#[test]
fn payloads_over_the_limit_are_refused_with_the_limit_named() {
    let at_limit = vec![0u8; MAX_PAYLOAD_LEN];
    assert!(digest(HashKind::Keccak256, &at_limit).is_ok());
    let over = vec![0u8; MAX_PAYLOAD_LEN + 1];
    for kind in [
        HashKind::Keccak256,
        HashKind::Sha256d,
        HashKind::Eip191,
        HashKind::Eip712,
    ] {
        let err = digest(kind, &over).unwrap_err();
        assert_eq!(
            err,
            PayloadError::PayloadTooLong {
                len: 8193,
                max: 8192
            }
        );
        assert_eq!(
            err.to_string(),
            "payload of 8193 bytes is over the limit of 8192 bytes per payload (MAX_PAYLOAD_LEN)"
        );
    }
    assert!(check_payloads_len(MAX_PAYLOADS_LEN).is_ok());
    let err = check_payloads_len(MAX_PAYLOADS_LEN + 1).unwrap_err();
    assert_eq!(
        err,
        PayloadError::PayloadsTooLong {
            total: 16385,
            max: 16384
        }
    );
    assert!(err
        .to_string()
        .contains("16384 bytes per request (MAX_PAYLOADS_LEN)"));
}

#[test]
fn hash_kind_json_names() {
    for (kind, name) in [
        (HashKind::Keccak256, "keccak256"),
        (HashKind::Sha256, "sha256"),
        (HashKind::Sha256d, "sha256d"),
        (HashKind::Eip191, "eip191"),
        (HashKind::Eip712, "eip712"),
        (HashKind::CosmosSignDoc, "cosmos_sign_doc"),
    ] {
        let json = format!("\"{name}\"");
        assert_eq!(serde_json::to_string(&kind).unwrap(), json);
        assert_eq!(serde_json::from_str::<HashKind>(&json).unwrap(), kind);
        assert_eq!(kind.as_str(), name);
    }
    assert!(serde_json::from_str::<HashKind>("\"sha3\"").is_err());
}

/// The addresses of keys other than the published ones agree with k256's own encodings: the
/// EVM address from the uncompressed point, the Bitcoin program from the compressed one.
#[test]
fn addresses_of_other_keys_are_consistent() {
    for secret in [2u8, 3, 7, 255] {
        let (public, compressed, uncompressed) = secp256k1_public_key(secret);
        let evm = evm_address(&uncompressed);
        assert_eq!(evm.len(), 42);
        let point = public.to_encoded_point(false);
        let hash = mpc_payloads::keccak256(&point.as_bytes()[1..]);
        assert_eq!(
            evm.to_lowercase(),
            format!("0x{}", hex::encode(&hash[12..]))
        );
        assert!(bitcoin_p2wpkh(BitcoinNetwork::Mainnet, &compressed).starts_with("bc1q"));
    }
}
