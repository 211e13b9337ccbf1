//! Exponential backoff as a value (the `[.. backoff]` and `[worker] retry` tables of the config):
//! the reconnect loop of the event source, the submitter's retries and the worker's retry queue
//! each take a fresh [`Delays`] sequence from it and start a new one after a success. The
//! sequence itself is `backon`'s.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use serde::{Deserialize, Serialize};

/// Exponential backoff with a cap and an optional attempt limit. Deterministic (no jitter):
/// parties are separate processes with separate start times, so they do not retry in lockstep.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backoff {
    /// First delay.
    #[serde(with = "millis", rename = "initial_ms")]
    pub initial: Duration,
    /// Largest delay.
    #[serde(with = "millis", rename = "max_ms")]
    pub max: Duration,
    /// Factor between consecutive delays (at least 1).
    pub multiplier: u32,
    /// Failures after which [`Delays::next_delay`] gives up (`None`: never).
    pub max_attempts: Option<u32>,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_millis(200), Duration::from_secs(10), 2, None)
    }
}

impl Backoff {
    pub const fn new(
        initial: Duration,
        max: Duration,
        multiplier: u32,
        max_attempts: Option<u32>,
    ) -> Self {
        Self {
            initial,
            max,
            multiplier,
            max_attempts,
        }
    }

    /// A fresh sequence of delays, starting from `initial`.
    pub fn delays(&self) -> Delays {
        let builder = ExponentialBuilder::new()
            .with_min_delay(self.initial)
            .with_max_delay(self.max)
            .with_factor(self.multiplier.max(1) as f32);
        let builder = match self.max_attempts {
            Some(limit) => builder.with_max_times(limit as usize),
            None => builder.without_max_times(),
        };
        Delays {
            sequence: builder.build(),
            attempts: 0,
            max: self.max,
        }
    }

    /// Checks the values; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.initial.is_zero() {
            return Err("initial_ms must be above 0".into());
        }
        if self.max < self.initial {
            return Err("max_ms must be at least initial_ms".into());
        }
        if self.multiplier == 0 {
            return Err("multiplier must be at least 1".into());
        }
        if self.max_attempts == Some(0) {
            return Err("max_attempts must be above 0 (or absent for no limit)".into());
        }
        Ok(())
    }
}

/// One run of failures: how long to wait after each.
#[derive(Debug)]
pub struct Delays {
    sequence: backon::ExponentialBackoff,
    attempts: u32,
    max: Duration,
}

impl Delays {
    /// Records a failure and returns how long to wait before the next try, or `None` when the
    /// attempt limit is reached.
    pub fn next_delay(&mut self) -> Option<Duration> {
        let delay = self.sequence.next()?;
        self.attempts = self.attempts.saturating_add(1);
        // backon multiplies in f32; the config speaks whole milliseconds.
        let millis = (delay.as_secs_f64() * 1000.0).round() as u64;
        Some(Duration::from_millis(millis).min(self.max))
    }

    /// Like [`Delays::next_delay`], but past an attempt limit it keeps waiting the longest delay:
    /// for loops that never give up (reconnecting, a request that is still this party's work).
    pub fn next_or_max(&mut self) -> Duration {
        self.next_delay().unwrap_or(self.max)
    }

    /// Failures counted in this run.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

/// Serde for durations as whole milliseconds in the TOML.
pub(crate) mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn delays_grow_by_the_multiplier_up_to_the_cap() {
        let mut b = Backoff::new(ms(100), ms(1000), 3, None).delays();
        let delays: Vec<_> = (0..6).map(|_| b.next_delay().unwrap()).collect();
        assert_eq!(
            delays,
            vec![ms(100), ms(300), ms(900), ms(1000), ms(1000), ms(1000)]
        );
        assert_eq!(b.attempts(), 6);
    }

    #[test]
    fn a_fresh_sequence_starts_again_from_initial() {
        let policy = Backoff::new(ms(50), ms(1000), 2, None);
        let mut b = policy.delays();
        b.next_delay();
        b.next_delay();
        assert_eq!(b.next_delay(), Some(ms(200)));
        let mut b = policy.delays();
        assert_eq!(b.attempts(), 0);
        assert_eq!(b.next_delay(), Some(ms(50)));
    }

    #[test]
    fn gives_up_after_max_attempts() {
        let policy = Backoff::new(ms(10), ms(100), 2, Some(3));
        let mut b = policy.delays();
        assert_eq!(b.next_delay(), Some(ms(10)));
        assert_eq!(b.next_delay(), Some(ms(20)));
        assert_eq!(b.next_delay(), Some(ms(40)));
        assert_eq!(b.next_delay(), None);
        assert_eq!(b.next_delay(), None);
        // Loops that never give up keep waiting the longest delay.
        assert_eq!(b.next_or_max(), ms(100));
        assert_eq!(policy.delays().next_delay(), Some(ms(10)));
    }

    #[test]
    fn huge_attempt_counts_do_not_overflow() {
        let mut b = Backoff::new(ms(1), Duration::from_secs(30), 10, None).delays();
        for _ in 0..200 {
            assert!(b.next_delay().unwrap() <= Duration::from_secs(30));
        }
        assert_eq!(b.next_delay(), Some(Duration::from_secs(30)));
    }

    #[test]
    fn multiplier_one_is_a_constant_delay() {
        let mut b = Backoff::new(ms(70), ms(500), 1, None).delays();
        assert_eq!(b.next_delay(), Some(ms(70)));
        assert_eq!(b.next_delay(), Some(ms(70)));
    }

    #[test]
    fn validate_names_the_field() {
        let zero = Backoff::new(ms(0), ms(10), 2, None);
        assert!(zero.validate().unwrap_err().contains("initial_ms"));
        let inverted = Backoff::new(ms(100), ms(10), 2, None);
        assert!(inverted.validate().unwrap_err().contains("max_ms"));
        let no_growth = Backoff::new(ms(1), ms(10), 0, None);
        assert!(no_growth.validate().unwrap_err().contains("multiplier"));
        let never = Backoff::new(ms(1), ms(10), 2, Some(0));
        assert!(never.validate().unwrap_err().contains("max_attempts"));
        assert!(Backoff::default().validate().is_ok());
    }

    #[test]
    fn reads_from_toml_in_milliseconds() {
        let b: Backoff =
            toml::from_str("initial_ms = 250\nmax_ms = 4000\nmultiplier = 2\n").unwrap();
        assert_eq!(b, Backoff::new(ms(250), ms(4000), 2, None));
    }
}
