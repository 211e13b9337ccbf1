//! Exponential backoff as a value: the reconnect loop of the event source and the submitter's
//! retries both ask it how long to wait next, and reset it after a success.

use std::time::Duration;

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
    /// Attempts after which [`Backoff::next_delay`] gives up (`None`: never).
    pub max_attempts: Option<u32>,
    /// Failures since the last reset.
    #[serde(skip)]
    attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_millis(200), Duration::from_secs(10), 2, None)
    }
}

impl Backoff {
    pub fn new(
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
            attempts: 0,
        }
    }

    /// Failures counted since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Records a failure and returns how long to wait before the next try, or `None` when the
    /// attempt limit is reached.
    pub fn next_delay(&mut self) -> Option<Duration> {
        if self
            .max_attempts
            .is_some_and(|limit| self.attempts >= limit)
        {
            return None;
        }
        let factor = self
            .multiplier
            .max(1)
            .checked_pow(self.attempts)
            .unwrap_or(u32::MAX);
        self.attempts = self.attempts.saturating_add(1);
        Some(self.initial.saturating_mul(factor).min(self.max))
    }

    /// After a success: the next failure starts again from `initial`.
    pub fn reset(&mut self) {
        self.attempts = 0;
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
        let mut b = Backoff::new(ms(100), ms(1000), 3, None);
        let delays: Vec<_> = (0..6).map(|_| b.next_delay().unwrap()).collect();
        assert_eq!(
            delays,
            vec![ms(100), ms(300), ms(900), ms(1000), ms(1000), ms(1000)]
        );
        assert_eq!(b.attempts(), 6);
    }

    #[test]
    fn reset_starts_again_from_initial() {
        let mut b = Backoff::new(ms(50), ms(1000), 2, None);
        b.next_delay();
        b.next_delay();
        assert_eq!(b.next_delay(), Some(ms(200)));
        b.reset();
        assert_eq!(b.attempts(), 0);
        assert_eq!(b.next_delay(), Some(ms(50)));
    }

    #[test]
    fn gives_up_after_max_attempts() {
        let mut b = Backoff::new(ms(10), ms(100), 2, Some(3));
        assert_eq!(b.next_delay(), Some(ms(10)));
        assert_eq!(b.next_delay(), Some(ms(20)));
        assert_eq!(b.next_delay(), Some(ms(40)));
        assert_eq!(b.next_delay(), None);
        assert_eq!(b.next_delay(), None);
        b.reset();
        assert_eq!(b.next_delay(), Some(ms(10)));
    }

    #[test]
    fn huge_attempt_counts_do_not_overflow() {
        let mut b = Backoff::new(ms(1), Duration::from_secs(30), 10, None);
        for _ in 0..200 {
            assert!(b.next_delay().unwrap() <= Duration::from_secs(30));
        }
        assert_eq!(b.next_delay(), Some(Duration::from_secs(30)));
    }

    #[test]
    fn multiplier_one_is_a_constant_delay() {
        let mut b = Backoff::new(ms(70), ms(500), 1, None);
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
