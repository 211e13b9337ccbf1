//! Attempt windows on the wall clock, the same at every party.
//!
//! A run that fails is tried again, and the parties must meet in the same attempt. Counting
//! attempts from each party's own start does not do that: a party that starts late (a restart,
//! a node behind, a queue of other requests) is in another attempt than the others forever.
//! Here window `k` of length `L` is `[k·L, (k+1)·L)` in Unix time, and an attempt is a window:
//! every party, whenever it arrives, takes part in the window in progress (or, past its join
//! limit, the next one), and every step of the attempt ends with the window. A party that
//! arrives late therefore joins the attempt in progress, and parties that failed at different
//! points start the next attempt together.
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

/// One attempt window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Its number since the Unix epoch: the same at every party, part of its sessions' ids.
    pub number: u64,
    pub starts: Instant,
    pub ends: Instant,
}

impl Windows {
    /// Windows of `length` (at least a millisecond) that a party may join during their first
    /// half.
    pub fn new(length: Duration) -> Self {
        let length = length.max(Duration::from_millis(1));
        Self {
            length,
            join_within: length / 2,
        }
    }

    pub fn length(&self) -> Duration {
        self.length
    }

    /// The window a party ready now takes part in: the one in progress while less than half of
    /// it has passed (the others still wait for the first messages), else the next one.
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
        Window {
            number: window.number + 1,
            starts: window.ends,
            ends: window.ends + self.length,
        }
    }
}

impl Window {
    /// When the work of the window must be done: a tenth of it before its end, so that what
    /// the parties tell each other about its outcome (who they blame) reaches every party
    /// before the window ends, and all draw the same conclusions.
    pub fn work_ends(&self) -> Instant {
        self.ends - (self.ends - self.starts) / 10
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
    fn a_party_joins_the_window_in_progress_in_its_first_half_and_the_next_one_after() {
        let windows = Windows::new(Duration::from_secs(10));
        let window = windows.to_join();
        let now = Instant::now();
        assert_eq!(window.length(), Duration::from_secs(10));
        if window.starts <= now {
            assert!(now - window.starts < Duration::from_secs(5), "{window:?}");
        } else {
            // Past the join limit: the next window, starting within 5 s.
            assert!(window.starts - now <= Duration::from_secs(5), "{window:?}");
        }
        let next = windows.after(&window);
        assert_eq!(next.number, window.number + 1);
        assert_eq!(next.starts, window.ends);
        assert!(window.work_ends() < window.ends);
        assert_eq!(window.ends - window.work_ends(), Duration::from_secs(1));
    }

    #[test]
    fn window_numbers_are_wall_clock_time_over_the_length() {
        let windows = Windows::new(Duration::from_millis(250));
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
