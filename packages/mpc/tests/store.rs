//! The encrypted share store: round trip, tamper detection, the secret's forms (key as hex or
//! base64, Argon2id passphrase), and distinct errors for a wrong secret, a missing salt and a
//! damaged record, none of which changes a file.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use mpc_party::store::StoreSecret;
use mpc_party::{MpcError, ShareStore};
use serde::{Deserialize, Serialize};

const KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn key() -> StoreSecret {
    StoreSecret::key_from_text(KEY_HEX).unwrap()
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Share {
    index: u16,
    secret: Vec<u8>,
}

fn share() -> Share {
    Share {
        index: 3,
        secret: vec![42; 64],
    }
}

#[test]
fn values_round_trip_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let store = ShareStore::open(dir.path(), &key()).unwrap();
    assert_eq!(store.get::<Share>("eddsa/key/ab").unwrap(), None);
    store.put("eddsa/key/ab", &share()).unwrap();
    store.put("ecdsa/aux/01", &vec![1u32, 2, 3]).unwrap();
    assert_eq!(store.get::<Share>("eddsa/key/ab").unwrap(), Some(share()));
    // Replacing a value keeps only the new one.
    let newer = Share {
        index: 4,
        secret: vec![1],
    };
    store.put("eddsa/key/ab", &newer).unwrap();
    drop(store);
    let store = ShareStore::open(dir.path(), &key()).unwrap();
    assert_eq!(store.get::<Share>("eddsa/key/ab").unwrap(), Some(newer));
    assert_eq!(
        store.list("eddsa/").unwrap(),
        vec!["eddsa/key/ab".to_string()]
    );
    assert_eq!(store.list("").unwrap().len(), 2);
    assert!(store.delete("ecdsa/aux/01").unwrap());
    assert!(!store.delete("ecdsa/aux/01").unwrap());
    assert!(!store.contains("ecdsa/aux/01").unwrap());
}

#[test]
fn files_are_private_encrypted_and_no_temporary_files_remain() {
    let dir = tempfile::tempdir().unwrap();
    let store = ShareStore::open(dir.path(), &key()).unwrap();
    store.put("k", &share()).unwrap();
    let path = store.path_of("k");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let dir_mode = std::fs::metadata(dir.path()).unwrap().permissions().mode();
    assert_eq!(dir_mode & 0o777, 0o700);
    let bytes = std::fs::read(&path).unwrap();
    // The secret bytes do not appear in clear.
    assert!(!bytes.windows(8).any(|w| w == [42u8; 8]));
    assert!(!String::from_utf8_lossy(&bytes).contains("secret"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn a_record_moved_to_another_id_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = ShareStore::open(dir.path(), &key()).unwrap();
    store.put("alice", &share()).unwrap();
    std::fs::copy(store.path_of("alice"), store.path_of("bob")).unwrap();
    assert!(store.get::<Share>("bob").is_err());
    assert_eq!(store.get::<Share>("alice").unwrap(), Some(share()));
}

/// Every file of the store directory and its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// A store holding one share, and its files.
fn store_with_a_share(secret: &StoreSecret) -> (tempfile::TempDir, BTreeMap<String, Vec<u8>>) {
    let dir = tempfile::tempdir().unwrap();
    ShareStore::open(dir.path(), secret)
        .unwrap()
        .put("k", &share())
        .unwrap();
    let files = snapshot(dir.path());
    (dir, files)
}

#[test]
fn a_wrong_secret_is_refused_and_changes_nothing() {
    let (dir, before) = store_with_a_share(&key());
    let other = StoreSecret::key_from_text(&"ab".repeat(32)).unwrap();
    let err = ShareStore::open(dir.path(), &other).unwrap_err();
    assert!(matches!(err, MpcError::WrongStoreSecret(_)), "{err}");
    // A passphrase for a key store is as wrong.
    let passphrase = StoreSecret::passphrase("a long enough passphrase").unwrap();
    let err = ShareStore::open(dir.path(), &passphrase).unwrap_err();
    assert!(matches!(err, MpcError::WrongStoreSecret(_)), "{err}");
    assert_eq!(snapshot(dir.path()), before);
    // The right key still opens it.
    let store = ShareStore::open(dir.path(), &key()).unwrap();
    assert_eq!(store.get::<Share>("k").unwrap(), Some(share()));
}

#[test]
fn a_store_that_lost_its_salt_is_refused_and_no_new_salt_is_written() {
    let (dir, mut before) = store_with_a_share(&key());
    std::fs::remove_file(dir.path().join("store.kdf")).unwrap();
    before.remove("store.kdf");
    let err = ShareStore::open(dir.path(), &key()).unwrap_err();
    assert!(matches!(err, MpcError::MissingSalt(_)), "{err}");
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn a_corrupted_share_is_its_own_error_and_is_not_rewritten() {
    let (dir, _) = store_with_a_share(&key());
    let store = ShareStore::open(dir.path(), &key()).unwrap();
    let path = store.path_of("k");
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    let before = snapshot(dir.path());
    // The secret is right, so opening works; reading the damaged share says which record.
    let store = ShareStore::open(dir.path(), &key()).unwrap();
    let err = store.get::<Share>("k").unwrap_err();
    assert!(
        matches!(err, MpcError::CorruptedRecord { ref id, .. } if id == "k"),
        "{err}"
    );
    // A damaged KDF file is corrupted too, not a wrong secret.
    std::fs::write(dir.path().join("store.kdf"), b"{not json").unwrap();
    let err = ShareStore::open(dir.path(), &key()).unwrap_err();
    assert!(matches!(err, MpcError::CorruptedRecord { .. }), "{err}");
    std::fs::write(dir.path().join("store.kdf"), &before["store.kdf"]).unwrap();
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn a_passphrase_store_uses_argon2id_with_its_parameters_beside_the_salt() {
    let passphrase = || StoreSecret::passphrase("correct horse battery staple").unwrap();
    let (dir, _) = store_with_a_share(&passphrase());
    let kdf: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("store.kdf")).unwrap()).unwrap();
    assert_eq!(kdf["kdf"]["name"], "argon2id");
    assert!(kdf["kdf"]["m_cost_kib"].as_u64().unwrap() >= 19 * 1024);
    assert_eq!(kdf["salt"].as_str().unwrap().len(), 64);
    let store = ShareStore::open(dir.path(), &passphrase()).unwrap();
    assert_eq!(store.get::<Share>("k").unwrap(), Some(share()));
    let wrong = StoreSecret::passphrase("correct horse battery stable").unwrap();
    let err = ShareStore::open(dir.path(), &wrong).unwrap_err();
    assert!(matches!(err, MpcError::WrongStoreSecret(_)), "{err}");
    // Too short a passphrase is refused before anything is derived.
    assert!(matches!(
        StoreSecret::passphrase("short"),
        Err(MpcError::InvalidRequest(_))
    ));
}

#[test]
fn keys_are_read_as_hex_or_base64_and_never_printed() {
    use base64::Engine as _;
    let bytes: Vec<u8> = hex::decode(KEY_HEX).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let (dir, _) = store_with_a_share(&key());
    // The same key as base64 (with a file's trailing newline) opens the store.
    let from_b64 = StoreSecret::key_from_text(&format!("{b64}\n")).unwrap();
    assert!(ShareStore::open(dir.path(), &from_b64).is_ok());
    for bad in ["", "00", &"zz".repeat(32), "aGVsbG8="] {
        assert!(
            matches!(
                StoreSecret::key_from_text(bad),
                Err(MpcError::InvalidRequest(_))
            ),
            "{bad:?} accepted"
        );
    }
    let shown = format!("{:?}", key());
    assert!(
        !shown.contains("0102") && shown.contains("REDACTED"),
        "{shown}"
    );
}

#[test]
fn ids_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let store = ShareStore::open(dir.path(), &key()).unwrap();
    assert!(store.put("", &1).is_err());
    assert!(store.put(&"x".repeat(101), &1).is_err());
    assert!(store.put("store.check", &1).is_err());
    // Ids with path characters are fine: file names are hex.
    store.put("../../etc/passwd", &1).unwrap();
    assert_eq!(store.get::<i32>("../../etc/passwd").unwrap(), Some(1));
}
