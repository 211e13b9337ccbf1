//! The operator's control socket: a Unix socket beside the progress store
//! (`<store_path>.sock`), through which `connector backup` asks the running connector for a
//! consistent copy of its progress store (the running connector holds the store's file lock, so
//! no other process can open it). Only the connector's own user (or root) can use it: the socket
//! file is made 0600 and each connection's peer credentials are checked. It is deliberately not a
//! route of the telemetry server, which may listen on 0.0.0.0 for Prometheus.
//!
//! One request line, one answer: `snapshot\n` is answered with `ok <length>\n` followed by the
//! snapshot (a redb file of `length` bytes), or with `error <reason>\n`.

use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use crate::store::ProgressStore;

/// Longest a request may take, from either side (a snapshot of a large store takes well under).
const TIMEOUT: Duration = Duration::from_secs(60);
/// Longest request line read.
const MAX_REQUEST: u64 = 64;

/// The control socket of the store at `store_path`.
pub fn socket_path(store_path: &Path) -> PathBuf {
    let mut name = store_path.as_os_str().to_owned();
    name.push(".sock");
    PathBuf::from(name)
}

/// A Unix socket's address holds at most 107 bytes of path (`sun_path`), and a store deep in a data
/// directory passes that (the test command's first run, under a temporary home, did). Such a
/// socket is reached through its directory's descriptor instead, `/proc/self/fd/<fd>/<name>`
/// (Linux), held open while the address is bound or connected to; the socket file stays where
/// it belongs, with its permissions.
struct SocketAddress {
    path: PathBuf,
    _directory: Option<std::fs::File>,
}

fn socket_address(path: &Path) -> std::io::Result<SocketAddress> {
    const SUN_PATH_MAX: usize = 107;
    if path.as_os_str().len() <= SUN_PATH_MAX {
        return Ok(SocketAddress {
            path: path.to_path_buf(),
            _directory: None,
        });
    }
    let (Some(directory), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{}: not a file path", path.display()),
        ));
    };
    let directory = std::fs::File::open(directory)?;
    let path = PathBuf::from(format!("/proc/self/fd/{}", directory.as_raw_fd())).join(name);
    Ok(SocketAddress {
        path,
        _directory: Some(directory),
    })
}

/// A served control socket; the socket file is removed when it is dropped.
pub struct ControlSocket {
    path: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl ControlSocket {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Serves the control socket of the store at `store_path`, whose instance lock the caller
/// holds (so a socket file found there was left by a connector that died, and is replaced).
/// Must be called within a tokio runtime.
pub fn serve(store_path: &Path, store: Arc<ProgressStore>) -> std::io::Result<ControlSocket> {
    let path = socket_path(store_path);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let address = socket_address(&path)?;
    let listener = UnixListener::bind(&address.path)?;
    drop(address);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    // The socket file is this process's: its owner is the user allowed in (besides root).
    let owner = std::fs::metadata(&path)?.uid();
    let store_path = store_path.to_path_buf();
    let task = tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "control socket: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let (store, store_path) = (store.clone(), store_path.clone());
            tokio::spawn(async move {
                match tokio::time::timeout(TIMEOUT, answer(stream, owner, store, store_path)).await
                {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "control socket: request failed"),
                    Err(_) => tracing::warn!("control socket: request timed out"),
                }
            });
        }
    });
    Ok(ControlSocket { path, task })
}

async fn answer(
    stream: UnixStream,
    owner: u32,
    store: Arc<ProgressStore>,
    store_path: PathBuf,
) -> std::io::Result<()> {
    let peer = stream.peer_cred()?.uid();
    let (read, mut write) = stream.into_split();
    if peer != owner && peer != 0 {
        tracing::warn!(
            uid = peer,
            "control socket: refused a user other than the connector's"
        );
        let refusal = format!("error user {peer} may not use this connector's control socket\n");
        return write.write_all(refusal.as_bytes()).await;
    }
    let mut line = String::new();
    BufReader::new(read.take(MAX_REQUEST))
        .read_line(&mut line)
        .await?;
    match line.trim() {
        "snapshot" => {
            let snapshot =
                tokio::task::spawn_blocking(move || snapshot_bytes(&store, &store_path)).await;
            match snapshot {
                Ok(Ok(bytes)) => {
                    tracing::info!(bytes = bytes.len(), "progress store snapshot for a backup");
                    write
                        .write_all(format!("ok {}\n", bytes.len()).as_bytes())
                        .await?;
                    write.write_all(&bytes).await?;
                }
                Ok(Err(e)) => write.write_all(format!("error {e}\n").as_bytes()).await?,
                Err(e) => write.write_all(format!("error {e}\n").as_bytes()).await?,
            }
        }
        other => {
            write
                .write_all(format!("error unknown request {other:?}\n").as_bytes())
                .await?
        }
    }
    write.shutdown().await
}

/// A consistent copy of the store, made in a temporary file beside it and read back.
fn snapshot_bytes(store: &ProgressStore, store_path: &Path) -> Result<Vec<u8>, String> {
    let mut name = store_path.as_os_str().to_owned();
    name.push(format!(".snapshot-{}.tmp", std::process::id()));
    let tmp = PathBuf::from(name);
    let _ = std::fs::remove_file(&tmp);
    let result = store
        .snapshot_to(&tmp)
        .map_err(|e| e.to_string())
        .and_then(|_| std::fs::read(&tmp).map_err(|e| format!("{}: {e}", tmp.display())));
    let _ = std::fs::remove_file(&tmp);
    result
}

/// Asks the connector running on the store at `store_path` for a snapshot of its progress
/// store and writes it to `out` (a new file, 0600). Returns its size.
pub async fn request_snapshot(store_path: &Path, out: &Path) -> Result<u64, String> {
    let path = socket_path(store_path);
    let exchange = async {
        let address = socket_address(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let stream = UnixStream::connect(&address.path).await.map_err(|e| {
            format!(
                "cannot reach the running connector's control socket {}: {e}",
                path.display()
            )
        })?;
        let (read, mut write) = stream.into_split();
        write
            .write_all(b"snapshot\n")
            .await
            .map_err(|e| format!("control socket: {e}"))?;
        let mut read = BufReader::new(read);
        let mut line = String::new();
        read.read_line(&mut line)
            .await
            .map_err(|e| format!("control socket: {e}"))?;
        let line = line.trim_end();
        let length: u64 = match line.split_once(' ') {
            Some(("ok", length)) => length
                .parse()
                .map_err(|_| format!("control socket: unexpected answer {line:?}"))?,
            Some(("error", reason)) => {
                return Err(format!("the running connector refused: {reason}"))
            }
            _ => return Err(format!("control socket: unexpected answer {line:?}")),
        };
        let mut bytes = Vec::new();
        read.take(length)
            .read_to_end(&mut bytes)
            .await
            .map_err(|e| format!("control socket: {e}"))?;
        if bytes.len() as u64 != length {
            return Err(format!(
                "control socket: the snapshot ended after {} of {length} bytes",
                bytes.len()
            ));
        }
        write_new_file(out, &bytes)?;
        Ok(length)
    };
    tokio::time::timeout(TIMEOUT, exchange).await.map_err(|_| {
        format!(
            "control socket {}: no answer in {TIMEOUT:?}",
            path.display()
        )
    })?
}

/// Writes `bytes` to a new file (refusing an existing one), readable by its owner only, and
/// syncs it.
pub(crate) fn write_new_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::RequestRef;

    #[tokio::test]
    async fn a_store_deeper_than_a_socket_address_holds_still_has_its_socket() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir
            .path()
            .join("a-data-directory-as-deep-as-operators-make-them".repeat(2));
        std::fs::create_dir_all(&deep).unwrap();
        let store_path = deep.join("connector.redb");
        assert!(socket_path(&store_path).as_os_str().len() > 107);
        let store = Arc::new(ProgressStore::open(&store_path).unwrap());
        store.seen(RequestRef::Sign(1)).unwrap();
        let socket = serve(&store_path, store).unwrap();
        // In its place, private as any other.
        assert_eq!(socket.path(), socket_path(&store_path));
        assert_private(socket.path());
        let out = dir.path().join("copy.redb");
        let bytes = request_snapshot(&store_path, &out).await.unwrap();
        assert_eq!(std::fs::metadata(&out).unwrap().len(), bytes);
        assert_eq!(ProgressStore::open(&out).unwrap().len().unwrap(), 1);
    }

    /// Only its owner may use the socket file.
    fn assert_private(socket: &Path) {
        let mode = std::fs::metadata(socket).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", socket.display());
    }

    #[tokio::test]
    async fn a_snapshot_is_the_store_as_of_the_request_and_the_socket_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let store_path = dir.path().join("party.redb");
        let store = Arc::new(ProgressStore::open(&store_path).unwrap());
        store.submitted(RequestRef::Key(1), "AB", 7, true).unwrap();
        store.seen(RequestRef::Sign(2)).unwrap();
        let socket = serve(&store_path, store.clone()).unwrap();
        assert_private(socket.path());

        let out = dir.path().join("copy.redb");
        let bytes = request_snapshot(&store_path, &out).await.unwrap();
        assert_eq!(std::fs::metadata(&out).unwrap().len(), bytes);
        // Later changes are not in the snapshot.
        store.closed(RequestRef::Sign(2), "fulfilled").unwrap();
        let copy = ProgressStore::open(&out).unwrap();
        assert_eq!(copy.len().unwrap(), 2);
        assert!(copy
            .get(RequestRef::Key(1))
            .unwrap()
            .unwrap()
            .progress
            .is_final());
        assert!(!copy
            .get(RequestRef::Sign(2))
            .unwrap()
            .unwrap()
            .progress
            .is_final());
        // The snapshot never overwrites a file.
        let error = request_snapshot(&store_path, &out).await.unwrap_err();
        assert!(error.contains("copy.redb"), "{error}");
        // No temporary file is left beside the store.
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "{left:?}");

        // An unknown request is answered with an error, not a snapshot.
        let mut stream = UnixStream::connect(socket.path()).await.unwrap();
        stream.write_all(b"shares\n").await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        assert_eq!(answer, "error unknown request \"shares\"\n");

        // Gone with the connector.
        let path = socket.path().to_path_buf();
        drop(socket);
        assert!(!path.exists());
        let error = request_snapshot(&store_path, &dir.path().join("again.redb"))
            .await
            .unwrap_err();
        assert!(
            error.contains("cannot reach the running connector"),
            "{error}"
        );
    }
}
