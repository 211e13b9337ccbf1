//! Backup and restore of one party's data: its progress store (redb) and its share folder (the
//! encrypted records as they are, with `store.kdf`), with a manifest.
//!
//! A backup directory holds:
//!
//! * `progress.redb`: a consistent copy of the progress store, made by the running connector
//!   through its control socket ([`crate::control`]) when it runs, else by this process under
//!   the party's instance lock;
//! * `shares/`: the share folder's files, still encrypted (only the share secret opens them);
//! * `manifest.json`: the party, its keyring, when, the key records the backup holds and the
//!   size and SHA-256 of every file, checked before a restore changes anything.
//!
//! The progress store is copied before the shares: every answer the copy says was computed has
//! its share in the backup (a share is stored before its answer is saved).
//!
//! A restore refuses while a connector of the party runs, refuses a backup of another party or
//! keyring, a damaged backup and a share secret that does not open it, and refuses to replace
//! data the party holds unless forced; forced, it moves that data aside instead of deleting it.

use std::collections::BTreeMap;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::control::write_new_file;
use crate::instance::{InstanceLock, LockError};
use crate::store::{unix_now, ProgressStore};

/// The manifest's format; a restore refuses others.
pub const FORMAT: u32 = 1;
pub const MANIFEST: &str = "manifest.json";
pub const PROGRESS: &str = "progress.redb";
pub const SHARES: &str = "shares";
/// What makes a folder a share store: its key derivation (or a legacy store's salt).
const KDF_FILES: [&str; 2] = ["store.kdf", "store.salt"];
/// The share store's own check record (not a share).
const CHECK_RECORD: &str = "store.check";
const RECORD_SUFFIX: &str = ".rec";

/// What a backup holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// `party.name`, `keyring.id` and `contracts.keyring` of the party backed up.
    pub party: String,
    pub keyring_id: u64,
    pub keyring_contract: String,
    /// When the backup was taken: unix seconds, and as UTC text.
    pub created_unix: u64,
    pub created: String,
    /// Where the progress store came from: the running connector (its process id) or the
    /// stopped party's store.
    pub taken_from: String,
    /// Request records in the progress store.
    pub progress_records: u64,
    /// The key shares (`<scheme>/key/<public key hex>`): a key made after the backup is not
    /// among them, and a restore from this backup cannot sign with it.
    pub keys: Vec<String>,
    /// Every record of the share folder (keys, ECDSA aux info, spare primes).
    pub share_records: Vec<String>,
    /// Every file of the backup but the manifest, with its size and SHA-256 (hex).
    pub files: BTreeMap<String, FileEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub bytes: u64,
    pub sha256: String,
}

impl Manifest {
    /// One line for the operator.
    pub fn describe(&self) -> String {
        format!(
            "party {} (keyring {}) as of {}, from {}: {} request records, {} share records, {} keys",
            self.party,
            self.keyring_id,
            self.created,
            self.taken_from,
            self.progress_records,
            self.share_records.len(),
            self.keys.len()
        )
    }
}

/// Backs up the party of `config` into `out`, a new (or empty) directory. The backup appears
/// there whole or not at all: it is assembled beside it and renamed.
pub async fn backup(config: &Config, out: &Path) -> Result<Manifest, String> {
    let party = &config.party;
    if let Ok(meta) = std::fs::symlink_metadata(out) {
        let empty = meta.is_dir()
            && std::fs::read_dir(out)
                .map_err(|e| format!("--out {}: {e}", out.display()))?
                .next()
                .is_none();
        if !empty {
            return Err(format!(
                "--out {}: exists and is not an empty directory; a backup never writes over \
                 anything (name a new directory)",
                out.display()
            ));
        }
    }
    let name = out
        .file_name()
        .ok_or_else(|| format!("--out {}: names no directory", out.display()))?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let staging = parent.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    make_private_dir(&staging)?;
    let result = assemble(config, &staging).await;
    let manifest = match result {
        Ok((manifest, _lock)) => {
            // Renamed while the lock (of a stopped party) is still held.
            if out.exists() {
                std::fs::remove_dir(out).map_err(|e| format!("{}: {e}", out.display()))?;
            }
            std::fs::rename(&staging, out)
                .map_err(|e| format!("{} -> {}: {e}", staging.display(), out.display()))?;
            sync_dir(&parent)?;
            manifest
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    tracing::debug!(party = %party.name, out = %out.display(), "backup taken");
    Ok(manifest)
}

/// Fills `staging`; returns the manifest and, for a stopped party, its lock (held until the
/// backup is in place, so that no connector starts on the data meanwhile).
async fn assemble(
    config: &Config,
    staging: &Path,
) -> Result<(Manifest, Option<InstanceLock>), String> {
    let party = &config.party;
    let progress = staging.join(PROGRESS);
    let (taken_from, lock) = match InstanceLock::acquire(&party.store_path) {
        Ok(lock) => {
            if !party.store_path.is_file() {
                return Err(format!(
                    "party.store_path {} does not exist: nothing to back up (has this party run?)",
                    party.store_path.display()
                ));
            }
            let store = ProgressStore::open(&party.store_path).map_err(|e| e.to_string())?;
            store.snapshot_to(&progress).map_err(|e| e.to_string())?;
            ("the stopped party's store".to_string(), Some(lock))
        }
        Err(LockError::Held(holder)) => {
            crate::control::request_snapshot(&party.store_path, &progress)
                .await
                .map_err(|e| format!("{holder}; {e}"))?;
            let pid = holder
                .pid
                .map_or("a process".to_string(), |pid| format!("process {pid}"));
            (format!("the running connector ({pid})"), None)
        }
        Err(e) => return Err(e.to_string()),
    };
    // redb makes its files with the default mode; this one is the party's only.
    std::fs::set_permissions(&progress, std::fs::Permissions::from_mode(0o600))
        .map_err(io(&progress))?;
    let progress_records = ProgressStore::records_at(&progress).map_err(|e| e.to_string())?;
    let mut files = BTreeMap::new();
    files.insert(
        PROGRESS.to_string(),
        file_entry(&std::fs::read(&progress).map_err(io(&progress))?),
    );
    let shares = copy_shares(&party.shares_dir, &staging.join(SHARES))?;
    let mut share_records = Vec::new();
    for (name, entry) in shares {
        if let Some(id) = record_id(&name).filter(|id| id != CHECK_RECORD) {
            share_records.push(id);
        }
        files.insert(format!("{SHARES}/{name}"), entry);
    }
    share_records.sort();
    let keys = share_records
        .iter()
        .filter(|id| {
            crate::mpc::party::KEY_PREFIXES
                .iter()
                .any(|p| id.starts_with(p))
        })
        .cloned()
        .collect();
    let created_unix = unix_now();
    let manifest = Manifest {
        format: FORMAT,
        party: party.name.clone(),
        keyring_id: config.keyring.id,
        keyring_contract: config.contracts.keyring.clone(),
        created_unix,
        created: utc_text(created_unix),
        taken_from,
        progress_records,
        keys,
        share_records,
        files,
    };
    let text = serde_json::to_vec_pretty(&manifest).map_err(|e| e.to_string())?;
    write_new_file(&staging.join(MANIFEST), &text)?;
    sync_dir(staging)?;
    Ok((manifest, lock))
}

/// Copies the share folder's files (not temporary ones) into `to`, a new private directory;
/// returns each file's name and entry.
fn copy_shares(from: &Path, to: &Path) -> Result<Vec<(String, FileEntry)>, String> {
    if !KDF_FILES.iter().any(|f| from.join(f).is_file()) {
        return Err(format!(
            "party.shares_dir {} has no store.kdf: it is not a share store (nothing to back up)",
            from.display()
        ));
    }
    make_private_dir(to)?;
    let mut copied = Vec::new();
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // Records are written to hidden temporary files and renamed.
        if name.starts_with('.') || !entry.file_type().map_err(io(from))?.is_file() {
            continue;
        }
        let bytes = match std::fs::read(entry.path()) {
            Ok(bytes) => bytes,
            // Deleted since it was listed (spare primes used by an aux run).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("{}: {e}", entry.path().display())),
        };
        write_new_file(&to.join(&name), &bytes)?;
        copied.push((name, file_entry(&bytes)));
    }
    sync_dir(to)?;
    Ok(copied)
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
    /// Data that was there before, moved aside (not deleted).
    pub moved_aside: Vec<PathBuf>,
    /// Whether the configured share secret was checked against the backup's `store.kdf`; why
    /// not when it could not be read here.
    pub secret_checked: Result<(), String>,
}

/// Restores the party of `config` from the backup in `from`. Refuses (changing nothing) while a
/// connector of the party runs, for a backup of another party, a damaged backup or one the
/// configured share secret does not open, and over data the party holds unless `force`.
pub fn restore(config: &Config, from: &Path, force: bool) -> Result<Restored, String> {
    let party = &config.party;
    let manifest = read_manifest(from)?;
    if manifest.party != party.name
        || manifest.keyring_id != config.keyring.id
        || manifest.keyring_contract != config.contracts.keyring
    {
        return Err(format!(
            "{} is a backup of party {} (keyring {} of {}), not of party {} (keyring {} of {}) \
             as the config says: a party must never answer with another party's shares",
            from.display(),
            manifest.party,
            manifest.keyring_id,
            manifest.keyring_contract,
            party.name,
            config.keyring.id,
            config.contracts.keyring
        ));
    }
    let files = verified_files(from, &manifest)?;
    let _lock = InstanceLock::acquire(&party.store_path).map_err(|e| match e {
        LockError::Held(holder) => format!(
            "{holder}; stop it before restoring (it would keep working on the data a restore \
             replaces)"
        ),
        other => other.to_string(),
    })?;
    let existing = existing_data(config);
    if !existing.is_empty() && !force {
        return Err(format!(
            "{}; a restore replaces them (and shares of keys made after the backup cannot be \
             had back): pass --force to restore anyway (they are moved aside, not deleted)",
            existing.join("; ")
        ));
    }

    let staged_store = sibling(&party.store_path, ".restoring");
    let staged_shares = sibling(&party.shares_dir, ".restoring");
    let staged = stage(config, &files, &staged_store, &staged_shares);
    let secret_checked = match staged {
        Ok(checked) => checked,
        Err(e) => {
            let _ = std::fs::remove_file(&staged_store);
            let _ = std::fs::remove_dir_all(&staged_shares);
            return Err(e);
        }
    };

    let stamp = unix_now();
    let mut moved_aside = Vec::new();
    for (current, staged) in [
        (&party.store_path, &staged_store),
        (&party.shares_dir, &staged_shares),
    ] {
        if std::fs::symlink_metadata(current).is_ok() {
            let aside = sibling(current, &format!(".replaced-{stamp}"));
            std::fs::rename(current, &aside)
                .map_err(|e| format!("moving {} aside: {e}", current.display()))?;
            moved_aside.push(aside);
        }
        std::fs::rename(staged, current)
            .map_err(|e| format!("{} -> {}: {e}", staged.display(), current.display()))?;
        if let Some(parent) = parent_dir(current) {
            sync_dir(&parent)?;
        }
    }
    Ok(Restored {
        manifest,
        moved_aside,
        secret_checked,
    })
}

/// Copies the verified files beside their places and checks them: the progress store opens,
/// and the share secret (when it can be read here) opens the share folder.
fn stage(
    config: &Config,
    files: &[(String, Vec<u8>)],
    staged_store: &Path,
    staged_shares: &Path,
) -> Result<Result<(), String>, String> {
    let _ = std::fs::remove_file(staged_store);
    let _ = std::fs::remove_dir_all(staged_shares);
    if let Some(parent) = parent_dir(staged_store) {
        std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    }
    if let Some(parent) = parent_dir(staged_shares) {
        std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    }
    make_private_dir(staged_shares)?;
    for (name, bytes) in files {
        match name.strip_prefix(&format!("{SHARES}/")) {
            Some(share) => write_new_file(&staged_shares.join(share), bytes)?,
            None => write_new_file(staged_store, bytes)?,
        }
    }
    sync_dir(staged_shares)?;
    ProgressStore::open(staged_store)
        .map_err(|e| format!("the backup's {PROGRESS} does not open: {e}"))?;
    Ok(match config.party.share_secret() {
        Ok(secret) => {
            mpc_party::ShareStore::open(staged_shares, &secret).map_err(|e| {
                format!("the configured share secret does not open the backup's shares: {e}")
            })?;
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    })
}

/// What the party holds now that a restore would replace, one line each.
fn existing_data(config: &Config) -> Vec<String> {
    let party = &config.party;
    let mut found = Vec::new();
    if std::fs::symlink_metadata(&party.store_path).is_ok() {
        match ProgressStore::records_at(&party.store_path) {
            Ok(0) => {}
            Ok(n) => found.push(format!(
                "party.store_path {} holds {n} request records",
                party.store_path.display()
            )),
            Err(e) => found.push(format!(
                "party.store_path {} exists and cannot be read ({e})",
                party.store_path.display()
            )),
        }
    }
    if std::fs::symlink_metadata(&party.shares_dir).is_ok() {
        match std::fs::read_dir(&party.shares_dir) {
            Ok(entries) => {
                let records = entries
                    .filter_map(Result::ok)
                    .filter(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        !name.starts_with('.')
                            && !KDF_FILES.contains(&name.as_str())
                            && record_id(&name).as_deref() != Some(CHECK_RECORD)
                    })
                    .count();
                if records > 0 {
                    found.push(format!(
                        "party.shares_dir {} holds {records} records",
                        party.shares_dir.display()
                    ));
                }
            }
            Err(e) => found.push(format!(
                "party.shares_dir {} exists and cannot be read ({e})",
                party.shares_dir.display()
            )),
        }
    }
    found
}

/// The backup's manifest, checked for its format.
pub fn read_manifest(from: &Path) -> Result<Manifest, String> {
    let path = from.join(MANIFEST);
    let text = std::fs::read(&path)
        .map_err(|e| format!("{}: not a backup ({}: {e})", from.display(), path.display()))?;
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if manifest.format != FORMAT {
        return Err(format!(
            "{}: format {} (this connector reads format {FORMAT})",
            path.display(),
            manifest.format
        ));
    }
    Ok(manifest)
}

/// Every file the manifest lists, read and checked against its size and SHA-256.
fn verified_files(from: &Path, manifest: &Manifest) -> Result<Vec<(String, Vec<u8>)>, String> {
    let has = |name: &str| manifest.files.contains_key(name);
    if !has(PROGRESS) || !KDF_FILES.iter().any(|f| has(&format!("{SHARES}/{f}"))) {
        return Err(format!(
            "{}: the manifest lists no {PROGRESS} or no {SHARES}/store.kdf",
            from.display()
        ));
    }
    let mut files = Vec::new();
    for (name, expected) in &manifest.files {
        if !valid_name(name) {
            return Err(format!(
                "{}: the manifest lists {name:?}, not a file of a backup",
                from.display()
            ));
        }
        let path = from.join(name);
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        let found = file_entry(&bytes);
        if &found != expected {
            return Err(format!(
                "{}: damaged ({} bytes, SHA-256 {}; the manifest says {} bytes, {})",
                path.display(),
                found.bytes,
                found.sha256,
                expected.bytes,
                expected.sha256
            ));
        }
        files.push((name.clone(), bytes));
    }
    Ok(files)
}

/// `progress.redb`, or `shares/<name>` with a plain name.
fn valid_name(name: &str) -> bool {
    if name == PROGRESS {
        return true;
    }
    let Some(share) = name.strip_prefix(&format!("{SHARES}/")) else {
        return false;
    };
    let mut parts = Path::new(share).components();
    matches!(
        (parts.next(), parts.next()),
        (Some(Component::Normal(_)), None)
    )
}

/// The share record id a file name stands for (records are named by the hex of their id).
fn record_id(file_name: &str) -> Option<String> {
    let stem = file_name.strip_suffix(RECORD_SUFFIX)?;
    String::from_utf8(hex::decode(stem).ok()?).ok()
}

fn file_entry(bytes: &[u8]) -> FileEntry {
    FileEntry {
        bytes: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(bytes)),
    }
}

/// `path` with `suffix` added to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn parent_dir(path: &Path) -> Option<PathBuf> {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
}

fn make_private_dir(dir: &Path) -> Result<(), String> {
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(dir)
        .map_err(io(dir))?;
    // The mode given to mkdir is masked by the umask; this is not.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io(dir))
}

fn sync_dir(dir: &Path) -> Result<(), String> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| format!("fsync {}: {e}", dir.display()))
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn utc_text(unix: u64) -> String {
    let (days, seconds) = (unix / 86_400, unix % 86_400);
    // Howard Hinnant's civil_from_days, for days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3_600,
        seconds / 60 % 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::request::RequestRef;

    const KEY: &str = "eddsa/key/ab12";

    /// A party whose files live in a temporary directory; its share secret is a key file.
    struct Party {
        dir: tempfile::TempDir,
        config: Config,
    }

    fn config_text(dir: &Path, name: &str, key_file: &str) -> String {
        let d = dir.display();
        crate::config::test_config(
            &format!(
                r#"name = "{name}"
chain_key_file = "{d}/chain.key"
store_path = "{d}/data/party.redb"
shares_dir = "{d}/data/shares"
shares_key_file = "{d}/{key_file}""#
            ),
            &format!("{d}/noise.key"),
        )
    }

    impl Party {
        /// A party that ran: two request records, a key share and aux info.
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let key = |name: &str, text: String| {
                crate::secret_file::write(&dir.path().join(name), &text, false).unwrap()
            };
            key("shares.key", "ab".repeat(32));
            key("other.key", "cd".repeat(32));
            let config = Config::parse(&config_text(dir.path(), "party-0", "shares.key")).unwrap();
            let party = Self { dir, config };
            let store = ProgressStore::open(&party.config.party.store_path).unwrap();
            store.submitted(RequestRef::Key(1), "TX", 5, true).unwrap();
            store.seen(RequestRef::Sign(2)).unwrap();
            let shares = party.shares();
            shares.put(KEY, &"the share").unwrap();
            shares.put("ecdsa/aux/0011", &"aux info").unwrap();
            party
        }

        fn shares(&self) -> mpc_party::ShareStore {
            let secret = self.config.party.share_secret().unwrap();
            mpc_party::ShareStore::open(&self.config.party.shares_dir, &secret).unwrap()
        }

        fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        /// The party's data (store and share files) as bytes, to compare.
        fn data(&self) -> BTreeMap<String, Vec<u8>> {
            let mut files = BTreeMap::new();
            let party = &self.config.party;
            if let Ok(bytes) = std::fs::read(&party.store_path) {
                files.insert("store".to_string(), bytes);
            }
            if let Ok(entries) = std::fs::read_dir(&party.shares_dir) {
                for entry in entries {
                    let entry = entry.unwrap();
                    let name = entry.file_name().to_string_lossy().into_owned();
                    files.insert(name, std::fs::read(entry.path()).unwrap());
                }
            }
            files
        }

        fn wipe(&self) {
            std::fs::remove_file(&self.config.party.store_path).unwrap();
            std::fs::remove_dir_all(&self.config.party.shares_dir).unwrap();
        }

        /// Another config of this party's paths: another name, or another share key.
        fn config_with(&self, name: &str, key_file: &str) -> Config {
            Config::parse(&config_text(self.dir.path(), name, key_file)).unwrap()
        }
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[tokio::test]
    async fn a_stopped_party_is_backed_up_and_restored_as_it_was() {
        let party = Party::new();
        let before = party.data();
        let out = party.path("backups/first");
        let manifest = backup(&party.config, &out).await.unwrap();
        assert_eq!(manifest.party, "party-0");
        assert_eq!(manifest.keyring_id, 1);
        assert_eq!(manifest.taken_from, "the stopped party's store");
        assert_eq!(manifest.progress_records, 2);
        assert_eq!(manifest.keys, vec![KEY.to_string()]);
        assert_eq!(
            manifest.share_records,
            vec!["ecdsa/aux/0011".to_string(), KEY.to_string()]
        );
        assert_eq!(read_manifest(&out).unwrap(), manifest);
        assert_eq!(mode(&out), 0o700);
        assert_eq!(mode(&out.join(SHARES)), 0o700);
        assert_eq!(mode(&out.join(PROGRESS)), 0o600);
        // The share files are copied as they are (encrypted), store.kdf with them.
        for (name, bytes) in &before {
            if name != "store" {
                assert_eq!(&std::fs::read(out.join(SHARES).join(name)).unwrap(), bytes);
            }
        }
        assert!(out.join("shares/store.kdf").is_file());
        // Nothing is left beside it, and the party's data is as it was but for the store's
        // reopening.
        let beside: Vec<_> = std::fs::read_dir(party.path("backups"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(beside, vec!["first"]);
        // The lock was released: the party can run again.
        InstanceLock::acquire(&party.config.party.store_path).unwrap();

        // The disk is lost; the backup is restored where the config says.
        party.wipe();
        let restored = restore(&party.config, &out, false).unwrap();
        assert_eq!(restored.manifest, manifest);
        assert!(restored.moved_aside.is_empty());
        assert_eq!(restored.secret_checked, Ok(()));
        let shares = party.shares();
        assert_eq!(shares.get::<String>(KEY).unwrap().unwrap(), "the share");
        assert_eq!(mode(&party.config.party.shares_dir), 0o700);
        let store = ProgressStore::open(&party.config.party.store_path).unwrap();
        assert_eq!(store.len().unwrap(), 2);
        assert!(store
            .get(RequestRef::Key(1))
            .unwrap()
            .unwrap()
            .progress
            .is_final());
        let after = party.data();
        for (name, bytes) in &before {
            if name != "store" {
                assert_eq!(after.get(name), Some(bytes), "{name}");
            }
        }
        assert_eq!(after.len(), before.len());
    }

    #[tokio::test]
    async fn a_running_party_is_backed_up_through_its_control_socket() {
        let party = Party::new();
        let store_path = party.config.party.store_path.clone();
        // As `connector run` holds them: the lock, the store and the control socket.
        let _lock = InstanceLock::acquire(&store_path).unwrap();
        let store = Arc::new(ProgressStore::open(&store_path).unwrap());
        let _control = crate::control::serve(&store_path, store.clone()).unwrap();
        store.closed(RequestRef::Sign(3), "expired").unwrap();

        let out = party.path("running");
        let manifest = backup(&party.config, &out).await.unwrap();
        assert_eq!(
            manifest.taken_from,
            format!("the running connector (process {})", std::process::id())
        );
        assert_eq!(manifest.progress_records, 3);
        assert_eq!(manifest.keys, vec![KEY.to_string()]);
        // Opened from a copy: opening a redb file writes to it.
        let copy_path = party.path("copy.redb");
        std::fs::copy(out.join(PROGRESS), &copy_path).unwrap();
        let copy = ProgressStore::open(&copy_path).unwrap();
        assert_eq!(
            copy.get(RequestRef::Sign(3)).unwrap(),
            store.get(RequestRef::Sign(3)).unwrap()
        );
        // A restore is refused while it runs, and changes nothing.
        let before = party.data();
        let error = restore(&party.config, &out, true).unwrap_err();
        assert!(
            error.contains("another connector of this party is running")
                && error.contains("stop it before restoring"),
            "{error}"
        );
        drop(store);
        assert_eq!(party.data(), before);
    }

    #[tokio::test]
    async fn a_backup_refuses_a_used_directory_and_a_party_without_data() {
        let party = Party::new();
        let out = party.path("used");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("notes.txt"), "mine").unwrap();
        let error = backup(&party.config, &out).await.unwrap_err();
        assert!(error.contains("is not an empty directory"), "{error}");
        let names: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec!["notes.txt"]);
        // An empty directory is used.
        let empty = party.path("empty");
        std::fs::create_dir_all(&empty).unwrap();
        backup(&party.config, &empty).await.unwrap();
        assert!(empty.join(MANIFEST).is_file());

        // A party that never ran has nothing to back up; no backup appears.
        let fresh = Party {
            config: party.config_with("party-0", "shares.key"),
            dir: tempfile::tempdir().unwrap(),
        };
        let mut config = fresh.config.clone();
        config.party.store_path = fresh.path("none/party.redb");
        config.party.shares_dir = fresh.path("none/shares");
        let out = fresh.path("backup");
        let error = backup(&config, &out).await.unwrap_err();
        assert!(
            error.starts_with("party.store_path") && error.contains("nothing to back up"),
            "{error}"
        );
        assert!(!out.exists());
        let left: Vec<_> = std::fs::read_dir(fresh.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().contains("partial"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[tokio::test]
    async fn a_restore_over_data_needs_force_and_moves_the_data_aside() {
        let party = Party::new();
        let out = party.path("backup");
        backup(&party.config, &out).await.unwrap();
        // A key made after the backup: its share is only in the party's folder.
        party
            .shares()
            .put("ecdsa/key/cd34", &"newer share")
            .unwrap();
        let before = party.data();
        let error = restore(&party.config, &out, false).unwrap_err();
        assert!(
            error.contains("holds 2 request records")
                && error.contains("holds 3 records")
                && error.contains("--force"),
            "{error}"
        );
        assert_eq!(party.data(), before);

        let restored = restore(&party.config, &out, true).unwrap();
        assert_eq!(restored.moved_aside.len(), 2);
        assert!(!party.shares().contains("ecdsa/key/cd34").unwrap());
        // What was replaced is kept aside, the newer share with it.
        let aside = restored
            .moved_aside
            .iter()
            .find(|p| p.to_string_lossy().contains("shares.replaced-"))
            .unwrap();
        let secret = party.config.party.share_secret().unwrap();
        let kept = mpc_party::ShareStore::open(aside, &secret).unwrap();
        assert_eq!(
            kept.get::<String>("ecdsa/key/cd34").unwrap().unwrap(),
            "newer share"
        );
    }

    #[tokio::test]
    async fn a_restore_refuses_another_partys_a_damaged_backup_and_a_wrong_secret() {
        let party = Party::new();
        let out = party.path("backup");
        backup(&party.config, &out).await.unwrap();
        party.wipe();
        let nothing = party.data();

        let other = party.config_with("party-1", "shares.key");
        let error = restore(&other, &out, true).unwrap_err();
        assert!(
            error.contains("is a backup of party party-0")
                && error.contains("not of party party-1"),
            "{error}"
        );

        let wrong_secret = party.config_with("party-0", "other.key");
        let error = restore(&wrong_secret, &out, false).unwrap_err();
        assert!(
            error.contains("the configured share secret does not open the backup's shares"),
            "{error}"
        );
        assert_eq!(party.data(), nothing);
        let staged: Vec<_> = std::fs::read_dir(party.path("data"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("restoring"))
            .collect();
        assert!(staged.is_empty(), "{staged:?}");

        // One flipped byte in a share file.
        let manifest = read_manifest(&out).unwrap();
        let share = manifest
            .files
            .keys()
            .find(|n| n.ends_with(RECORD_SUFFIX))
            .unwrap();
        let path = out.join(share);
        let mut bytes = std::fs::read(&path).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        std::fs::write(&path, bytes).unwrap();
        let error = restore(&party.config, &out, false).unwrap_err();
        assert!(error.contains("damaged"), "{error}");
        assert_eq!(party.data(), nothing);

        let error = restore(&party.config, &party.path("nowhere"), false).unwrap_err();
        assert!(error.contains("not a backup"), "{error}");
    }

    #[test]
    fn only_the_backups_own_files_are_read() {
        assert!(valid_name("progress.redb"));
        assert!(valid_name("shares/store.kdf"));
        assert!(!valid_name("shares/../../etc/passwd"));
        assert!(!valid_name("shares/a/b"));
        assert!(!valid_name("/etc/passwd"));
        assert!(!valid_name("keys/chain.key"));
    }

    #[test]
    fn times_are_written_in_utc() {
        assert_eq!(utc_text(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_text(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_text(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
