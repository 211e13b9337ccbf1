//! The encrypted share store: round trip, tamper detection, wrong secret, file modes.

use std::os::unix::fs::PermissionsExt;

use mpc_party::{MpcError, Store};
use serde::{Deserialize, Serialize};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

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
    let store = Store::open(dir.path(), SECRET).unwrap();
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
    let store = Store::open(dir.path(), SECRET).unwrap();
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
    let store = Store::open(dir.path(), SECRET).unwrap();
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
fn a_tampered_record_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), SECRET).unwrap();
    store.put("k", &share()).unwrap();
    let path = store.path_of("k");
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let err = store.get::<Share>("k").unwrap_err();
    assert!(
        matches!(err, MpcError::Store(ref m) if m.contains("authentication")),
        "{err}"
    );
}

#[test]
fn a_record_moved_to_another_id_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), SECRET).unwrap();
    store.put("alice", &share()).unwrap();
    std::fs::copy(store.path_of("alice"), store.path_of("bob")).unwrap();
    assert!(store.get::<Share>("bob").is_err());
    assert_eq!(store.get::<Share>("alice").unwrap(), Some(share()));
}

#[test]
fn the_wrong_secret_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path(), SECRET)
        .unwrap()
        .put("k", &share())
        .unwrap();
    let err = Store::open(dir.path(), b"another secret, just as long!!!!").unwrap_err();
    assert!(
        matches!(err, MpcError::Store(ref m) if m.contains("wrong operator secret")),
        "{err}"
    );
    // Too short a secret is refused outright.
    assert!(Store::open(dir.path(), b"short").is_err());
}

#[test]
fn ids_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), SECRET).unwrap();
    assert!(store.put("", &1).is_err());
    assert!(store.put(&"x".repeat(101), &1).is_err());
    assert!(store.put("store.check", &1).is_err());
    // Ids with path characters are fine: file names are hex.
    store.put("../../etc/passwd", &1).unwrap();
    assert_eq!(store.get::<i32>("../../etc/passwd").unwrap(), Some(1));
}
