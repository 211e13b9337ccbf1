//! Stopping child processes as a service manager does: SIGTERM, then a wait.

use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// Sends SIGTERM to `child` (again, if it was sent already) and waits until `deadline` for it
/// to exit; then kills it. Returns how it ended, and whether it stopped on SIGTERM.
pub fn terminate(child: &mut Child, deadline: Instant) -> (Option<ExitStatus>, bool) {
    if let Ok(Some(status)) = child.try_wait() {
        return (Some(status), true);
    }
    signal(child.id(), libc::SIGTERM);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return (Some(status), true);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    (child.wait().ok(), false)
}

/// Sends `signal` to process `pid`; false if there is no such process.
pub fn signal(pid: u32, signal: libc::c_int) -> bool {
    // SAFETY: kill(2) has no memory effects; a stale pid is refused with ESRCH.
    unsafe { libc::kill(pid as libc::pid_t, signal) == 0 }
}

/// Whether process `pid` exists (and is not a zombie waiting to be reaped).
pub fn alive(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The state follows the command name in parentheses: `pid (comm) S ...`.
    match stat.rsplit_once(") ") {
        Some((_, rest)) => !rest.starts_with('Z'),
        None => false,
    }
}
