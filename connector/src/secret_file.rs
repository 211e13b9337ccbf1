//! Files that hold a secret (the chain key, the Noise key, the share store's key or passphrase):
//! read only when no one but their owner can read or change them, as ssh treats a private key.
//! A key another account can read is a key to replace, so it is refused before it is used, and
//! the error says how to close it.

use std::io::Read;
use std::path::Path;

use zeroize::Zeroizing;

/// The directory systemd puts a service's credentials in (`LoadCredential=`,
/// `SetCredential=`). Only the service can read them, but when it runs as its own user systemd
/// grants that user access with an ACL entry, which makes the group bits of the mode read `r`
/// (0440): files there are taken whatever their mode says.
pub const CREDENTIALS_DIRECTORY_ENV: &str = "CREDENTIALS_DIRECTORY";

/// The contents of `path`, refused when others can read or write it (see [`check_mode`]).
/// Errors name the file.
pub fn read(path: &Path) -> Result<Zeroizing<Vec<u8>>, String> {
    let named = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut file = std::fs::File::open(path).map_err(named)?;
    // The mode of the file opened, not of the path looked at again: they are one file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata().map_err(named)?.permissions().mode();
        let credentials = std::env::var_os(CREDENTIALS_DIRECTORY_ENV);
        check_mode(path, mode, credentials.as_deref().map(Path::new))?;
    }
    let mut bytes = Zeroizing::new(Vec::new());
    file.read_to_end(&mut bytes).map_err(named)?;
    Ok(bytes)
}

/// [`read`] as UTF-8 text.
pub fn read_text(path: &Path) -> Result<Zeroizing<String>, String> {
    let mut bytes = read(path)?;
    String::from_utf8(std::mem::take(&mut *bytes))
        .map(Zeroizing::new)
        .map_err(|e| {
            // The secret's bytes go back under Zeroizing before the error is returned.
            let _ = Zeroizing::new(e.into_bytes());
            format!("{}: not UTF-8 text", path.display())
        })
}

/// Refuses a file whose `mode` lets its group or others in (any of 0o077), unless it lies in
/// `credentials_dir` (systemd's, see [`CREDENTIALS_DIRECTORY_ENV`]).
pub fn check_mode(path: &Path, mode: u32, credentials_dir: Option<&Path>) -> Result<(), String> {
    let mode = mode & 0o7777;
    if mode & 0o077 == 0 || in_dir(path, credentials_dir) {
        return Ok(());
    }
    let what = if mode & 0o044 != 0 {
        "readable by others"
    } else if mode & 0o022 != 0 {
        "writable by others"
    } else {
        "open to others"
    };
    Err(format!(
        "{path} is {what} (mode {mode:04o}): run `chmod 600 {path}`",
        path = path.display()
    ))
}

fn in_dir(path: &Path, dir: Option<&Path>) -> bool {
    let Some(dir) = dir.filter(|d| !d.as_os_str().is_empty()) else {
        return false;
    };
    match (path.canonicalize(), dir.canonicalize()) {
        (Ok(path), Ok(dir)) => path.starts_with(dir),
        _ => false,
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn file_with_mode(dir: &Path, name: &str, mode: u32) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, "secret\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn only_the_owner_may_read_or_write_a_secret_file() {
        let dir = tempfile::tempdir().unwrap();
        for mode in [0o600, 0o400, 0o700] {
            let path = file_with_mode(dir.path(), "ok.key", mode);
            assert_eq!(&*read(&path).unwrap(), b"secret\n", "mode {mode:o}");
        }
        let cases = [
            (0o644, "readable by others (mode 0644)"),
            (0o640, "readable by others (mode 0640)"),
            (0o604, "readable by others (mode 0604)"),
            (0o620, "writable by others (mode 0620)"),
            (0o602, "writable by others (mode 0602)"),
            (0o610, "open to others (mode 0610)"),
        ];
        for (mode, expected) in cases {
            let path = file_with_mode(dir.path(), "open.key", mode);
            let error = read(&path).unwrap_err();
            assert_eq!(
                error,
                format!("{p} is {expected}: run `chmod 600 {p}`", p = path.display())
            );
        }
    }

    #[test]
    fn a_missing_file_is_named() {
        let error = read(Path::new("/nonexistent/party.key")).unwrap_err();
        assert!(error.starts_with("/nonexistent/party.key: "), "{error}");
    }

    /// systemd's credentials read 0440 when the service has a user of its own (an ACL entry for
    /// it); they are taken there, and only there.
    #[test]
    fn files_in_the_credentials_directory_are_taken_whatever_their_mode() {
        let credentials = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let inside = file_with_mode(credentials.path(), "shares", 0o440);
        let outside = file_with_mode(elsewhere.path(), "shares", 0o440);
        let dir = Some(credentials.path());
        assert_eq!(check_mode(&inside, 0o100440, dir), Ok(()));
        assert!(check_mode(&outside, 0o100440, dir)
            .unwrap_err()
            .contains("readable by others (mode 0440)"));
        assert!(check_mode(&inside, 0o100440, None).is_err());
        assert!(check_mode(&inside, 0o100440, Some(Path::new(""))).is_err());
    }
}

/// Writes a key file readable and writable by its owner only: a new file is made with mode
/// 0600, and an existing one replaced with `force` gets 0600 before the key is written into it,
/// whatever its mode was.
pub fn write(path: &Path, hex_text: &str, force: bool) -> Result<(), String> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let named = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options
        .open(path)
        .map_err(|e| format!("{}: {e} (use --force to replace)", path.display()))?;
    // The mode given to `open` applies only to a file it creates (and the umask may narrow it).
    #[cfg(unix)]
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(named)?;
    writeln!(file, "{hex_text}").map_err(named)
}
