//! One running connector per party: `connector run` holds an exclusive lock on a file beside
//! its store for as long as it runs. Two instances of one party would answer every request
//! twice and meet the other parties in each other's sessions; the second one refuses to start
//! and names what it found. The lock is the operating system's (`flock`), so it is released
//! when the process ends, however it ends.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// How a second instance's refusal begins (the process's error output).
pub const ANOTHER_INSTANCE_RUNNING: &str = "another connector of this party is running";

/// The lock of a running connector; released when dropped (or when the process ends).
pub struct InstanceLock {
    // Kept for its guard's lifetime; the guard is what holds the lock.
    _guard: fd_lock::RwLockWriteGuard<'static, File>,
    pub path: PathBuf,
}

/// What was found when the lock was taken already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldBy {
    pub path: PathBuf,
    /// The process id the holder wrote, if it could be read.
    pub pid: Option<u32>,
}

impl std::fmt::Display for HeldBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pid = self
            .pid
            .map_or("a process".to_string(), |pid| format!("process {pid}"));
        write!(
            f,
            "{ANOTHER_INSTANCE_RUNNING}: {pid} holds the lock {}",
            self.path.display()
        )
    }
}

#[derive(thiserror::Error, Debug)]
pub enum LockError {
    #[error("{0}; stop it first (two instances of one party would answer twice)")]
    Held(HeldBy),
    #[error("cannot use the lock file {path}: {reason}")]
    Io { path: String, reason: String },
}

/// The lock file of the store at `store_path`.
pub fn lock_path(store_path: &Path) -> PathBuf {
    let mut name = store_path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl InstanceLock {
    /// Takes the lock of the store at `store_path`, or says who holds it.
    pub fn acquire(store_path: &Path) -> Result<Self, LockError> {
        let path = lock_path(store_path);
        let io = |e: std::io::Error| LockError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        // One lock per process lifetime: leaking its cell lets the guard live as long.
        let cell: &'static mut fd_lock::RwLock<File> =
            Box::leak(Box::new(fd_lock::RwLock::new(file)));
        let mut guard = match cell.try_write() {
            Ok(guard) => guard,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                return Err(LockError::Held(HeldBy {
                    pid: read_pid(&path),
                    path,
                }))
            }
            Err(e) => return Err(io(e)),
        };
        guard.set_len(0).map_err(io)?;
        guard.seek(SeekFrom::Start(0)).map_err(io)?;
        write!(guard, "{}", std::process::id()).map_err(io)?;
        guard.flush().map_err(io)?;
        Ok(Self {
            _guard: guard,
            path,
        })
    }
}

/// Whether a running connector holds the lock of the store at `store_path` (without taking
/// it for longer than the check).
pub fn held(store_path: &Path) -> Option<HeldBy> {
    let path = lock_path(store_path);
    let file = OpenOptions::new().read(true).write(true).open(&path).ok()?;
    let lock = fd_lock::RwLock::new(file);
    let free = lock.try_read().is_ok();
    (!free).then(|| HeldBy {
        pid: read_pid(&path),
        path,
    })
}

fn read_pid(path: &Path) -> Option<u32> {
    let mut text = String::new();
    File::open(path).ok()?.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_instance_is_refused_and_named_until_the_first_ends() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("party.redb");
        assert_eq!(held(&store), None);
        let first = InstanceLock::acquire(&store).unwrap();
        let found = held(&store).expect("the first instance holds the lock");
        assert_eq!(found.pid, Some(std::process::id()));
        let second = InstanceLock::acquire(&store).err().expect("refused");
        let message = second.to_string();
        assert!(
            message.contains(&format!("process {}", std::process::id()))
                && message.contains("party.redb.lock"),
            "{message}"
        );
        drop(first);
        assert_eq!(held(&store), None);
        InstanceLock::acquire(&store).expect("free again once the first is gone");
    }
}
