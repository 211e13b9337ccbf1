//! Finding and running the wasmd binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::error::{io_error, LocalnetError, Result};

/// Environment variable naming a wasmd binary to use instead of building one.
pub const WASMD_ENV: &str = "MPC_WASMD";

/// The wasmd binary: `$MPC_WASMD` if set, else the one `scripts/wasmd.sh` builds and caches
/// (outside the clone; the first call in a fresh machine takes several minutes). Resolved once
/// per process; the script itself serialises builds across processes.
pub fn wasmd_binary() -> Result<PathBuf> {
    static BINARY: OnceLock<std::result::Result<PathBuf, String>> = OnceLock::new();
    BINARY
        .get_or_init(locate)
        .clone()
        .map_err(LocalnetError::NoWasmd)
}

fn locate() -> std::result::Result<PathBuf, String> {
    if let Some(path) = std::env::var_os(WASMD_ENV) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("{WASMD_ENV}={} is not a file", path.display()))
        };
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/wasmd.sh");
    // stderr passes through: on a cold machine it shows the build's progress.
    let output = Command::new("bash")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("running {}: {e}", script.display()))?;
    if !output.status.success() {
        return Err(format!("{} failed ({})", script.display(), output.status));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let path = PathBuf::from(stdout.lines().last().unwrap_or("").trim());
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} printed {stdout:?}, not a binary's path",
            script.display()
        ))
    }
}

/// Runs `wasmd args...` to completion and returns its stdout; a non-zero exit is an error that
/// carries stderr (where wasmd and the SDK put their error messages).
pub(crate) fn run(binary: &Path, args: &[&str], stdin: Option<&str>) -> Result<String> {
    let command_line = format!("wasmd {}", args.join(" "));
    let mut command = Command::new(binary);
    command
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(io_error(format!("starting `{command_line}`")))?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        use std::io::Write;
        pipe.write_all(input.as_bytes())
            .map_err(io_error(format!("writing to `{command_line}`")))?;
    }
    let output = child
        .wait_with_output()
        .map_err(io_error(format!("running `{command_line}`")))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(LocalnetError::Command {
            command: command_line,
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        })
    }
}
