//! Encrypted share storage on disk: one file per record, written atomically.
//!
//! Each record is a serde value serialized to JSON, encrypted with XChaCha20-Poly1305 under a
//! 32-byte store key, with the record's id as associated data, so a file renamed to another id
//! does not decrypt. Files are written to a temporary file, fsynced, renamed over the target, and
//! the directory is fsynced: a crash leaves the old or the new record, never a torn one. Files and
//! the directory are only readable by the owner (0600 / 0700).
//!
//! The store key comes from the operator's [`StoreSecret`]: either a random 32-byte key (expanded
//! with HKDF-SHA256), or a passphrase stretched with Argon2id so that each guess costs tens of MiB
//! and a fraction of a second. The salt, the KDF and its parameters live in `store.kdf` beside the
//! records, with a hash of the derived key that tells a wrong secret apart from a damaged record.
//! Opening never writes over an existing store: a wrong secret, a missing `store.kdf` or a damaged
//! record are each their own error ([`MpcError::WrongStoreSecret`], [`MpcError::MissingSalt`],
//! [`MpcError::CorruptedRecord`]).
//!
//! Stores made before `store.kdf` existed (a raw salt in `store.salt`, HKDF over the secret's
//! bytes) still open with the same secret given as a passphrase.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use rand::RngCore;
use secrecy::{ExposeSecret, ExposeSecretMut, SecretBox, SecretSlice};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::MpcError;

const MAGIC: &[u8; 8] = b"MPCSTOR1";
const NONCE_LEN: usize = 24;
const KDF_FILE: &str = "store.kdf";
/// The raw salt of stores made before [`KDF_FILE`].
const LEGACY_SALT_FILE: &str = "store.salt";
/// A record of known content: in legacy stores, it tells a wrong secret apart from a damaged
/// record; in current ones it marks the directory as a store.
const CHECK_ID: &str = "store.check";
const CHECK_VALUE: &str = "mpc-party store";
const RECORD_SUFFIX: &str = ".rec";
/// Longest record id, in bytes (the file name is its hex form).
pub const MAX_ID_LEN: usize = 100;
/// Shortest passphrase accepted.
pub const MIN_PASSPHRASE_LEN: usize = 16;
const KEY_LEN: usize = 32;
/// Argon2id cost of new passphrase stores: 64 MiB, 3 passes (above OWASP's 19 MiB/2 minimum);
/// about a quarter second per guess on one core. Stored per store, so it can be raised later.
const ARGON2_M_COST_KIB: u32 = 64 * 1024;
const ARGON2_T_COST: u32 = 3;
const ARGON2_P_COST: u32 = 1;
/// Refuse absurd parameters read from a `store.kdf` (a tampered file could ask for terabytes).
const ARGON2_MAX_M_COST_KIB: u32 = 4 * 1024 * 1024;
const ARGON2_MAX_T_COST: u32 = 64;

/// What the store key is made from. Neither variant prints its contents.
pub enum StoreSecret {
    /// 32 random bytes (e.g. `openssl rand -hex 32`).
    Key(SecretBox<[u8; KEY_LEN]>),
    /// A passphrase, stretched with Argon2id.
    Passphrase(SecretSlice<u8>),
}

impl std::fmt::Debug for StoreSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StoreSecret::Key(_) => "StoreSecret::Key([REDACTED])",
            StoreSecret::Passphrase(_) => "StoreSecret::Passphrase([REDACTED])",
        })
    }
}

impl StoreSecret {
    /// A key written as text: 64 hex digits or base64 (standard alphabet) of 32 bytes; whitespace
    /// around it (a file's trailing newline) is ignored.
    pub fn key_from_text(text: &str) -> Result<Self, MpcError> {
        let text = text.trim();
        let bytes = Zeroizing::new(if text.len() == 2 * KEY_LEN {
            hex::decode(text).map_err(|_| bad_key_text())?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| bad_key_text())?
        });
        let mut key = SecretBox::new(Box::new([0u8; KEY_LEN]));
        if bytes.len() != KEY_LEN {
            return Err(bad_key_text());
        }
        key.expose_secret_mut().copy_from_slice(&bytes);
        Ok(StoreSecret::Key(key))
    }

    /// A passphrase of at least [`MIN_PASSPHRASE_LEN`] bytes.
    pub fn passphrase(passphrase: impl Into<Vec<u8>>) -> Result<Self, MpcError> {
        let passphrase = SecretSlice::from(passphrase.into());
        if passphrase.expose_secret().len() < MIN_PASSPHRASE_LEN {
            return Err(MpcError::InvalidRequest(format!(
                "the share-store passphrase must be at least {MIN_PASSPHRASE_LEN} bytes"
            )));
        }
        Ok(StoreSecret::Passphrase(passphrase))
    }

    fn kind(&self) -> &'static str {
        match self {
            StoreSecret::Key(_) => "a 32-byte key",
            StoreSecret::Passphrase(_) => "a passphrase",
        }
    }
}

fn bad_key_text() -> MpcError {
    MpcError::InvalidRequest(
        "the share-store key must be 32 bytes written as 64 hex digits or base64".into(),
    )
}

/// `store.kdf`: how the store key is derived, and a hash of it to recognise the right secret.
#[derive(Serialize, Deserialize)]
struct KdfFile {
    version: u32,
    kdf: Kdf,
    /// Hex.
    salt: String,
    /// Hex of sha256(domain || store key).
    key_check: String,
}

#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(tag = "name", rename_all = "snake_case")]
enum Kdf {
    /// HKDF-SHA256 over a random 32-byte key.
    HkdfKey,
    /// Argon2id (version 0x13) over a passphrase, with these costs.
    Argon2id {
        m_cost_kib: u32,
        t_cost: u32,
        p_cost: u32,
    },
}

impl Kdf {
    fn for_secret(secret: &StoreSecret) -> Self {
        match secret {
            StoreSecret::Key(_) => Kdf::HkdfKey,
            StoreSecret::Passphrase(_) => Kdf::Argon2id {
                m_cost_kib: ARGON2_M_COST_KIB,
                t_cost: ARGON2_T_COST,
                p_cost: ARGON2_P_COST,
            },
        }
    }

    fn derive(
        &self,
        secret: &StoreSecret,
        salt: &[u8],
    ) -> Result<Zeroizing<[u8; KEY_LEN]>, MpcError> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        match (self, secret) {
            (Kdf::HkdfKey, StoreSecret::Key(k)) => hkdf(salt, k.expose_secret(), &mut key)?,
            (
                Kdf::Argon2id {
                    m_cost_kib,
                    t_cost,
                    p_cost,
                },
                StoreSecret::Passphrase(p),
            ) => {
                if *m_cost_kib > ARGON2_MAX_M_COST_KIB || *t_cost > ARGON2_MAX_T_COST {
                    return Err(corrupted(KDF_FILE, "Argon2id parameters out of range"));
                }
                let params = argon2::Params::new(*m_cost_kib, *t_cost, *p_cost, Some(KEY_LEN))
                    .map_err(|e| corrupted(KDF_FILE, &format!("Argon2id parameters: {e}")))?;
                argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
                    .hash_password_into(p.expose_secret(), salt, key.as_mut())
                    .map_err(|e| MpcError::Store(format!("Argon2id: {e}")))?;
            }
            _ => {
                return Err(MpcError::WrongStoreSecret(format!(
                    "this store was created with {}, not {}",
                    match self {
                        Kdf::HkdfKey => "a 32-byte key",
                        Kdf::Argon2id { .. } => "a passphrase",
                    },
                    secret.kind()
                )))
            }
        }
        Ok(key)
    }
}

fn hkdf(salt: &[u8], ikm: &[u8], out: &mut [u8; KEY_LEN]) -> Result<(), MpcError> {
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(b"mpc-party/store/v1", out)
        .map_err(|_| MpcError::Store("key derivation failed".into()))
}

fn key_check(key: &[u8; KEY_LEN]) -> String {
    hex::encode(
        Sha256::new()
            .chain_update(b"mpc-party/store/key-check/v1")
            .chain_update(key)
            .finalize(),
    )
}

fn corrupted(id: &str, reason: &str) -> MpcError {
    MpcError::CorruptedRecord {
        id: id.to_string(),
        reason: reason.to_string(),
    }
}

/// A directory of encrypted records.
pub struct ShareStore {
    dir: PathBuf,
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for ShareStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareStore")
            .field("dir", &self.dir)
            .finish()
    }
}

impl ShareStore {
    /// Opens (creating if needed) the store in `dir`. A wrong secret, a store whose `store.kdf`
    /// is gone and a damaged `store.kdf` are refused with their own errors; none of them writes
    /// anything.
    pub fn open(dir: impl AsRef<Path>, secret: &StoreSecret) -> Result<Self, MpcError> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| io_error("create store directory", &dir, e))?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| io_error("restrict store directory", &dir, e))?;
        let kdf_path = dir.join(KDF_FILE);
        let key = match fs::read(&kdf_path) {
            Ok(bytes) => {
                let file: KdfFile = serde_json::from_slice(&bytes)
                    .map_err(|e| corrupted(KDF_FILE, &e.to_string()))?;
                let salt =
                    hex::decode(&file.salt).map_err(|_| corrupted(KDF_FILE, "salt is not hex"))?;
                let key = file.kdf.derive(secret, &salt)?;
                if key_check(&key) != file.key_check {
                    return Err(MpcError::WrongStoreSecret(format!(
                        "{} does not open the store in {}",
                        secret.kind(),
                        dir.display()
                    )));
                }
                key
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Self::open_legacy_or_create(dir, secret)
            }
            Err(e) => return Err(io_error("read", &kdf_path, e)),
        };
        Ok(Self::with_key(dir, &key))
    }

    fn with_key(dir: PathBuf, key: &[u8; KEY_LEN]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(key.into()),
            dir,
        }
    }

    /// A directory without `store.kdf`: a legacy store (raw `store.salt`), a new store (no
    /// records), or a store that lost its salt (records but no salt: refused, nothing written).
    fn open_legacy_or_create(dir: PathBuf, secret: &StoreSecret) -> Result<Self, MpcError> {
        let legacy_path = dir.join(LEGACY_SALT_FILE);
        match fs::read(&legacy_path) {
            Ok(salt) => {
                let mut key = Zeroizing::new([0u8; KEY_LEN]);
                match secret {
                    StoreSecret::Passphrase(p) => hkdf(&salt, p.expose_secret(), &mut key)?,
                    StoreSecret::Key(k) => hkdf(&salt, k.expose_secret(), &mut key)?,
                }
                let store = Self::with_key(dir, &key);
                return match store.get_raw(CHECK_ID) {
                    Ok(Some(check)) if check.as_slice() == CHECK_VALUE.as_bytes() => Ok(store),
                    Ok(None) => Err(MpcError::MissingSalt(format!(
                        "{} has a salt but no check record",
                        store.dir.display()
                    ))),
                    Ok(Some(_)) | Err(_) => Err(MpcError::WrongStoreSecret(format!(
                        "{} does not open the store in {}",
                        secret.kind(),
                        store.dir.display()
                    ))),
                };
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("read", &legacy_path, e)),
        }
        if has_records(&dir)? {
            return Err(MpcError::MissingSalt(format!(
                "{} holds records but no {KDF_FILE}: restore it from a backup (a new salt would \
                 make every record unreadable)",
                dir.display()
            )));
        }
        let mut salt = [0u8; 32];
        OsRng.fill_bytes(&mut salt);
        let kdf = Kdf::for_secret(secret);
        let key = kdf.derive(secret, &salt)?;
        let file = KdfFile {
            version: 1,
            kdf,
            salt: hex::encode(salt),
            key_check: key_check(&key),
        };
        let bytes = serde_json::to_vec_pretty(&file)
            .map_err(|e| MpcError::Store(format!("encode {KDF_FILE}: {e}")))?;
        let store = Self::with_key(dir, &key);
        // The salt first: a crash after it leaves a store that opens; records never exist
        // without it.
        write_atomically(&store.dir, KDF_FILE, &bytes)?;
        store.put_raw(CHECK_ID, CHECK_VALUE.as_bytes())?;
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
            .map_err(|e| corrupted(id, &format!("does not decode: {e}")))
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
            .ok_or_else(|| corrupted(id, "not a store record"))?;
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
            .map_err(|_| {
                corrupted(
                    id,
                    "failed authentication (damaged, or moved from another id)",
                )
            })
    }
}

/// Whether `dir` holds any record (the check record included).
fn has_records(dir: &Path) -> Result<bool, MpcError> {
    for entry in fs::read_dir(dir).map_err(|e| io_error("list", dir, e))? {
        let entry = entry.map_err(|e| io_error("list", dir, e))?;
        if entry.file_name().to_string_lossy().ends_with(RECORD_SUFFIX) {
            return Ok(true);
        }
    }
    Ok(false)
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
