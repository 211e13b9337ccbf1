//! Attempt windows on the wall clock, the same at every party.
//!
//! A run that fails is tried again, and the parties must meet in the same attempt. Counting
//! attempts from each party's own start does not do that: a party that starts late (a restart,
//! a node behind, a queue of other requests) is in another attempt than the others forever.
//! Here window `k` of length `L` is `[k·L, (k+1)·L)` in Unix time, and an attempt is a window:
//! every party, whenever it arrives, takes part in the window in progress while the time left
//! for its work is at least the run's minimum (else in the next window), and every step of the
//! attempt ends with the window. A party that arrives late therefore joins the attempt in
//! progress, and parties that failed at different points start the next attempt together. A
//! request seen by every party at once starts at once, unless it comes in a window's last
//! moments (then it waits at most that minimum and the notice margin).
//!
//! Parties' clocks must agree to well within a window (NTP keeps them within milliseconds); a
//! skew `s` can cost a window now and then to a party that arrives within `s` of the join limit.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// Windows of one length, and how far into a window a party may still join it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Windows {
    length: Duration,
    join_within: Duration,
}

/// What the parties tell each other about a window's outcome (who they blame) is sent this long
/// before the window ends, at most (a tenth of shorter windows).
const NOTICE_MARGIN: Duration = Duration::from_secs(1);

/// One attempt window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Its number since the Unix epoch: the same at every party, part of its sessions' ids.
    pub number: u64,
    pub starts: Instant,
    pub ends: Instant,
}

impl Windows {
    /// Windows of `length` (at least a millisecond) that a party may join while at least
    /// `min_work` of their work time is left (at least a tenth of the window is kept for it).
    pub fn new(length: Duration, min_work: Duration) -> Self {
        let length = length.max(Duration::from_millis(1));
        let work = length - notice_margin(length);
        Self {
            length,
            join_within: work.saturating_sub(min_work.max(length / 10)),
        }
    }

    pub fn length(&self) -> Duration {
        self.length
    }

    /// The window a party ready now takes part in: the one in progress while the time left for
    /// its work is at least the minimum (the others still wait for the first messages until the
    /// work ends), else the next one.
    pub fn to_join(&self) -> Window {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let length_ms = self.length.as_millis().max(1);
        let now_ms = since_epoch.as_millis();
        let number = (now_ms / length_ms) as u64;
        let into = Duration::from_millis((now_ms % length_ms) as u64);
        let starts = Instant::now() - into;
        let current = Window {
            number,
            starts,
            ends: starts + self.length,
        };
        if into < self.join_within {
            current
        } else {
            self.after(&current)
        }
    }

    /// The window after `window`.
    pub fn after(&self, window: &Window) -> Window {
        self.first_from(window, window.ends)
    }

    /// The first window after `window` that starts at `at` or later: where an attempt that ran
    /// past its window's end (until `at`, a time every party computes alike) is followed.
    pub fn first_from(&self, window: &Window, at: Instant) -> Window {
        let length_ms = self.length.as_millis().max(1);
        let past = at.saturating_duration_since(window.ends).as_millis();
        let skipped = past.div_ceil(length_ms) as u32;
        let starts = window.ends + self.length * skipped;
        Window {
            number: window.number + 1 + u64::from(skipped),
            starts,
            ends: starts + self.length,
        }
    }
}

/// The end of a window kept for notices: a tenth of it, at most [`NOTICE_MARGIN`].
fn notice_margin(length: Duration) -> Duration {
    (length / 10).min(NOTICE_MARGIN)
}

impl Window {
    /// When the work of the window must be done: shortly before its end
    /// ([`NOTICE_MARGIN`]), so that what the parties tell each other about its outcome (who
    /// they blame) reaches every party before the window ends, and all draw the same
    /// conclusions.
    pub fn work_ends(&self) -> Instant {
        self.ends - notice_margin(self.ends - self.starts)
    }

    /// Time left for work from now (zero once past [`Window::work_ends`]).
    pub fn work_left(&self) -> Duration {
        self.work_ends().saturating_duration_since(Instant::now())
    }

    pub fn length(&self) -> Duration {
        self.ends - self.starts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_party_joins_the_window_in_progress_while_its_minimum_work_time_is_left() {
        let windows = Windows::new(Duration::from_secs(10), Duration::from_secs(2));
        let window = windows.to_join();
        let now = Instant::now();
        assert_eq!(window.length(), Duration::from_secs(10));
        assert_eq!(window.ends - window.work_ends(), Duration::from_secs(1));
        if window.starts <= now {
            // At least 2 s of work left.
            assert!(
                window.work_ends() - now >= Duration::from_secs(2),
                "{window:?}"
            );
        } else {
            // Past the join limit: the next window, starting within 3 s.
            assert!(window.starts - now <= Duration::from_secs(3), "{window:?}");
        }
        let next = windows.after(&window);
        assert_eq!(next.number, window.number + 1);
        assert_eq!(next.starts, window.ends);
        // After an attempt that ran 2.5 windows past its window's end: the third window after.
        let later = windows.first_from(&window, window.ends + Duration::from_millis(25_000));
        assert_eq!(later.number, window.number + 4);
        assert_eq!(later.starts, window.ends + Duration::from_secs(30));
        assert_eq!(windows.first_from(&window, window.starts), next);
        // Short windows keep a tenth for notices, and a tenth at least for work.
        let short = Windows::new(Duration::from_secs(1), Duration::ZERO);
        assert_eq!(short.join_within, Duration::from_millis(800));
    }

    #[test]
    fn window_numbers_are_wall_clock_time_over_the_length() {
        let windows = Windows::new(Duration::from_millis(250), Duration::ZERO);
        let unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let number = windows.to_join().number;
        // The current window, or the next one past its join limit (or a tick later).
        assert!(
            (unix_ms / 250..=unix_ms / 250 + 2).contains(&number),
            "{number} at {unix_ms}"
        );
    }
}
