//! Ctrl-C and SIGTERM as values: blocked for every thread and taken with `sigtimedwait`, so the
//! main loop polls them between its checks of the child processes, with no handler code.
//! The mask is inherited across exec: children must clear it (`connectors::Launch` does; Go's
//! runtime, wasmd's, does it itself).

use std::time::Duration;

pub struct Signals {
    set: libc::sigset_t,
}

impl Signals {
    /// Blocks SIGINT and SIGTERM; call before any thread starts, as threads inherit the mask.
    pub fn block() -> Self {
        // SAFETY: a zeroed sigset_t is then initialised by sigemptyset; the calls only touch it
        // and this thread's mask.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGINT);
            libc::sigaddset(&mut set, libc::SIGTERM);
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            // A shell starts background jobs with SIGINT ignored; the children inherit that,
            // so it is reset (blocked signals are still queued for `wait` either way).
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Self { set }
        }
    }

    /// Waits up to `timeout` for SIGINT or SIGTERM; returns its name if one came.
    pub fn wait(&self, timeout: Duration) -> Option<&'static str> {
        let spec = libc::timespec {
            tv_sec: timeout.as_secs() as libc::time_t,
            tv_nsec: timeout.subsec_nanos() as libc::c_long,
        };
        // SAFETY: the set was initialised in `block`; no siginfo is asked for.
        let signal = unsafe { libc::sigtimedwait(&self.set, std::ptr::null_mut(), &spec) };
        match signal {
            libc::SIGINT => Some("SIGINT"),
            libc::SIGTERM => Some("SIGTERM"),
            _ => None,
        }
    }
}
