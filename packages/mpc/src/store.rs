//! Encrypted share storage on disk: one file per record, written atomically.
//!
//! Each record is a serde value serialized to JSON, encrypted with XChaCha20-Poly1305 under a key
//! derived from the operator's secret (HKDF-SHA256 with a random per-store salt), with the
//! record's id as associated data, so a file renamed to another id does not decrypt. Files are
//! written to a temporary file, fsynced, renamed over the target, and the directory is fsynced:
//! a crash leaves the old or the new record, never a torn one. Files and the directory are only
//! readable by the owner (0600 / 0700).
//!
//! The operator's secret should be high-entropy (at least 16 bytes, e.g. 32 random bytes from a
//! secret manager), since HKDF does not slow down guessing.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use rand::RngCore;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::MpcError;

const MAGIC: &[u8; 8] = b"MPCSTOR1";
const NONCE_LEN: usize = 24;
const SALT_FILE: &str = "store.salt";
/// A record of known content that tells a wrong operator secret apart from a damaged record.
const CHECK_ID: &str = "store.check";
const CHECK_VALUE: &str = "mpc-party store";
const RECORD_SUFFIX: &str = ".rec";
/// Longest record id, in bytes (the file name is its hex form).
pub const MAX_ID_LEN: usize = 100;
const MIN_SECRET_LEN: usize = 16;

/// A directory of encrypted records.
pub struct Store {
    dir: PathBuf,
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dir", &self.dir).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the store in `dir`. Refuses a secret that does not match the
    /// one the store was created with.
    pub fn open(dir: impl AsRef<Path>, operator_secret: &[u8]) -> Result<Self, MpcError> {
        if operator_secret.len() < MIN_SECRET_LEN {
            return Err(MpcError::Store(format!(
                "operator secret must be at least {MIN_SECRET_LEN} bytes"
            )));
        }
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| io_error("create store directory", &dir, e))?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| io_error("restrict store directory", &dir, e))?;
        let salt_path = dir.join(SALT_FILE);
        let salt = match fs::read(&salt_path) {
            Ok(salt) => salt,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut salt = vec![0u8; 32];
                OsRng.fill_bytes(&mut salt);
                write_atomically(&dir, SALT_FILE, &salt)?;
                salt
            }
            Err(e) => return Err(io_error("read salt", &salt_path, e)),
        };
        let mut key = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(Some(&salt), operator_secret)
            .expand(b"mpc-party/store/v1", key.as_mut())
            .map_err(|_| MpcError::Store("key derivation failed".into()))?;
        let store = Self {
            cipher: XChaCha20Poly1305::new(key.as_ref().into()),
            dir,
        };
        match store.get_raw(CHECK_ID) {
            Ok(Some(check)) if check.as_slice() == CHECK_VALUE.as_bytes() => {}
            Ok(Some(_)) | Err(_) => {
                return Err(MpcError::Store(
                    "wrong operator secret for this store".into(),
                ))
            }
            Ok(None) => store.put_raw(CHECK_ID, CHECK_VALUE.as_bytes())?,
        }
        Ok(store)
    }

    /// Stores `value` under `id`, replacing any previous value.
    pub fn put<T: Serialize>(&self, id: &str, value: &T) -> Result<(), MpcError> {
        let plain = Zeroizing::new(
            serde_json::to_vec(value).map_err(|e| MpcError::Store(format!("encode {id}: {e}")))?,
        );
        self.put_raw(&record_id(id)?, &plain)
    }

    /// The value stored under `id`, `None` if there is none. A record that fails authentication
    /// (tampered, or moved from another id) is an error, never silently ignored.
    pub fn get<T: DeserializeOwned>(&self, id: &str) -> Result<Option<T>, MpcError> {
        let Some(plain) = self.get_raw(&record_id(id)?)? else {
            return Ok(None);
        };
        let plain = Zeroizing::new(plain);
        serde_json::from_slice(&plain)
            .map(Some)
            .map_err(|e| MpcError::Store(format!("decode {id}: {e}")))
    }

    /// Whether a record exists under `id`.
    pub fn contains(&self, id: &str) -> Result<bool, MpcError> {
        Ok(self.path_of(&record_id(id)?).exists())
    }

    /// Removes the record under `id`; returns whether there was one.
    pub fn delete(&self, id: &str) -> Result<bool, MpcError> {
        let path = self.path_of(&record_id(id)?);
        match fs::remove_file(&path) {
            Ok(()) => {
                sync_dir(&self.dir)?;
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_error("delete", &path, e)),
        }
    }

    /// Ids of the stored records starting with `prefix`, sorted.
    pub fn list(&self, prefix: &str) -> Result<Vec<String>, MpcError> {
        let mut ids = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(|e| io_error("list", &self.dir, e))? {
            let entry = entry.map_err(|e| io_error("list", &self.dir, e))?;
            let name = entry.file_name();
            let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(RECORD_SUFFIX)) else {
                continue;
            };
            let Some(id) = hex::decode(stem)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
            else {
                continue;
            };
            if id != CHECK_ID && id.starts_with(prefix) {
                ids.push(id);
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// The file a record lives in (for operators and tests).
    pub fn path_of(&self, id: &str) -> PathBuf {
        self.dir.join(file_name(id))
    }

    fn put_raw(&self, id: &str, plain: &[u8]) -> Result<(), MpcError> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let cipher = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain,
                    aad: &aad(id),
                },
            )
            .map_err(|_| MpcError::Store(format!("encrypt {id}")))?;
        let mut file = Vec::with_capacity(MAGIC.len() + NONCE_LEN + cipher.len());
        file.extend_from_slice(MAGIC);
        file.extend_from_slice(&nonce);
        file.extend_from_slice(&cipher);
        write_atomically(&self.dir, &file_name(id), &file)
    }

    fn get_raw(&self, id: &str) -> Result<Option<Vec<u8>>, MpcError> {
        let path = self.path_of(id);
        let file = match fs::read(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error("read", &path, e)),
        };
        let body = file
            .strip_prefix(MAGIC.as_slice())
            .filter(|b| b.len() >= NONCE_LEN)
            .ok_or_else(|| MpcError::Store(format!("record {id} is not a store record")))?;
        let (nonce, cipher) = body.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                &XNonce::from(<[u8; NONCE_LEN]>::try_from(nonce).expect("split at NONCE_LEN")),
                Payload {
                    msg: cipher,
                    aad: &aad(id),
                },
            )
            .map(Some)
            .map_err(|_| MpcError::Store(format!("record {id} failed authentication")))
    }
}

fn aad(id: &str) -> Vec<u8> {
    [b"mpc-party/store/v1:".as_slice(), id.as_bytes()].concat()
}

/// Checks a caller's id; the internal check record's id is reserved.
fn record_id(id: &str) -> Result<String, MpcError> {
    if id.is_empty() || id.len() > MAX_ID_LEN || id == CHECK_ID {
        return Err(MpcError::Store(format!(
            "record id must be 1 to {MAX_ID_LEN} bytes and not {CHECK_ID:?}"
        )));
    }
    Ok(id.to_string())
}

/// Hex of the id: any id makes a safe, reversible file name.
fn file_name(id: &str) -> String {
    format!("{}{RECORD_SUFFIX}", hex::encode(id))
}

/// Temp file (0600, created fresh) + fsync + rename + directory fsync.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), MpcError> {
    let mut suffix = [0u8; 8];
    OsRng.fill_bytes(&mut suffix);
    let tmp = dir.join(format!(".{name}.{}.tmp", hex::encode(suffix)));
    let target = dir.join(name);
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| io_error("create", &tmp, e))?;
        file.write_all(bytes)
            .map_err(|e| io_error("write", &tmp, e))?;
        file.sync_all().map_err(|e| io_error("fsync", &tmp, e))?;
        fs::rename(&tmp, &target).map_err(|e| io_error("rename", &target, e))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn sync_dir(dir: &Path) -> Result<(), MpcError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("fsync directory", dir, e))
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> MpcError {
    MpcError::Store(format!("{what} {}: {e}", path.display()))
}
