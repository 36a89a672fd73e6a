//! Login throttling: after [`MAX_FAILURES`] consecutive failed attempts for
//! one username within [`WINDOW_SECONDS`], every attempt is refused until
//! [`WINDOW_SECONDS`] after the last failure; a successful login resets.
//!
//! Failures are counted with the store's atomic increment, so parallel
//! attempts are counted exactly: the n-th failure gets ordinal n. Each
//! failure records when it happened in a ring of five slots (`n mod 5`), which
//! is all the rule needs: the span of the last five failures and the time of
//! the newest. A success records the count it saw, and only failures above
//! that count are consecutive.

use serde::{Deserialize, Serialize};
use service_kit::kv::decode_counter;
use service_kit::{StoreError, Timestamp};

use crate::keys;
use crate::username::Username;

pub const MAX_FAILURES: u64 = 5;
pub const WINDOW_SECONDS: i64 = 15 * 60;

/// When failure number `n` happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureMark {
    pub n: u64,
    pub at_ms: i64,
}

/// What the store says about one username's recent failures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThrottleState {
    /// Failures ever (the counter's value).
    pub failures: u64,
    /// The failure count the last successful login saw.
    pub reset_at: u64,
    pub marks: Vec<FailureMark>,
}

impl ThrottleState {
    /// The keys to read, in the order [`decode`](Self::decode) expects.
    pub fn keys(username: &Username) -> Vec<String> {
        let mut keys = vec![keys::login_failures(username), keys::login_reset(username)];
        keys.extend((0..MAX_FAILURES).map(|slot| keys::login_failure_slot(username, slot)));
        keys
    }

    /// Reads the values of [`keys`](Self::keys). A slot that does not parse
    /// is ignored: it can only make the rule more lenient, never fail a login.
    pub fn decode(keys: &[String], values: &[Option<Vec<u8>>]) -> Result<Self, StoreError> {
        let counter = |index: usize| -> Result<u64, StoreError> {
            match &values[index] {
                None => Ok(0),
                Some(bytes) => decode_counter(&keys[index], bytes).map(|n| n.max(0) as u64),
            }
        };
        Ok(Self {
            failures: counter(0)?,
            reset_at: counter(1)?,
            marks: values[2..]
                .iter()
                .flatten()
                .filter_map(|bytes| serde_json::from_slice(bytes).ok())
                .collect(),
        })
    }

    pub fn consecutive_failures(&self) -> u64 {
        self.failures.saturating_sub(self.reset_at)
    }

    /// `Some(seconds)` when attempts are refused at `now`: the time until
    /// [`WINDOW_SECONDS`] after the newest failure, rounded up.
    pub fn retry_after(&self, now: Timestamp) -> Option<u64> {
        if self.consecutive_failures() < MAX_FAILURES {
            return None;
        }
        // The last five failures, as far as their marks have landed. A
        // racing or interrupted writer may leave a slot stale; the marks
        // that are there still tell when the streak ended.
        let oldest_wanted = self.failures - MAX_FAILURES + 1;
        let recent: Vec<&FailureMark> = self
            .marks
            .iter()
            .filter(|mark| {
                mark.n >= oldest_wanted && mark.n <= self.failures && mark.n > self.reset_at
            })
            .collect();
        let newest = recent.iter().map(|mark| mark.at_ms).max()?;
        let oldest = recent.iter().map(|mark| mark.at_ms).min()?;
        let window_ms = WINDOW_SECONDS * 1000;
        if recent.len() as u64 == MAX_FAILURES && newest - oldest > window_ms {
            // Five failures, but spread over more than the window.
            return None;
        }
        let remaining_ms = newest + window_ms - now.unix_millis();
        (remaining_ms > 0).then(|| (remaining_ms as u64).div_ceil(1000))
    }
}

/// The slot write that records failure number `n` at `now`.
pub fn failure_mark(username: &Username, n: u64, now: Timestamp) -> (String, Vec<u8>) {
    let mark = FailureMark {
        n,
        at_ms: now.unix_millis(),
    };
    (
        keys::login_failure_slot(username, n % MAX_FAILURES),
        serde_json::to_vec(&mark).expect("marks serialize"),
    )
}

/// The write that makes a success reset the streak it saw.
pub fn reset(username: &Username, state: &ThrottleState) -> Option<(String, Vec<u8>)> {
    (state.consecutive_failures() > 0).then(|| {
        (
            keys::login_reset(username),
            state.failures.to_string().into_bytes(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000_000;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_millis(T0 + seconds * 1000)
    }

    /// Failures numbered from 1 at the given seconds after T0.
    fn state(reset_at: u64, failure_seconds: &[i64]) -> ThrottleState {
        let failures = failure_seconds.len() as u64;
        let mut ring: Vec<Option<FailureMark>> = vec![None; MAX_FAILURES as usize];
        for (index, seconds) in failure_seconds.iter().enumerate() {
            let n = index as u64 + 1;
            ring[(n % MAX_FAILURES) as usize] = Some(FailureMark {
                n,
                at_ms: at(*seconds).unix_millis(),
            });
        }
        ThrottleState {
            failures,
            reset_at,
            marks: ring.into_iter().flatten().collect(),
        }
    }

    #[test]
    fn four_failures_do_not_throttle() {
        assert_eq!(state(0, &[0, 1, 2, 3]).retry_after(at(4)), None);
    }

    #[test]
    fn five_failures_throttle_until_fifteen_minutes_after_the_last() {
        let five = state(0, &[0, 10, 20, 30, 40]);
        assert_eq!(five.retry_after(at(40)), Some(900));
        assert_eq!(five.retry_after(at(41)), Some(899));
        assert_eq!(five.retry_after(at(939)), Some(1));
        assert_eq!(five.retry_after(at(940)), None);
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let five = state(0, &[0, 0, 0, 0, 0]);
        let now = Timestamp::from_unix_millis(T0 + 100);
        assert_eq!(five.retry_after(now), Some(900));
    }

    #[test]
    fn five_failures_spread_over_more_than_the_window_do_not_throttle() {
        let spread = state(0, &[0, 300, 600, 800, 901]);
        assert_eq!(spread.retry_after(at(902)), None);
        let tight = state(0, &[0, 300, 600, 800, 900]);
        assert_eq!(tight.retry_after(at(902)), Some(898));
    }

    #[test]
    fn after_a_lockout_five_new_failures_are_needed() {
        let mut failures = vec![0, 1, 2, 3, 4];
        failures.push(2000);
        assert_eq!(state(0, &failures).retry_after(at(2001)), None);
        failures.extend([2001, 2002, 2003]);
        assert_eq!(state(0, &failures).retry_after(at(2004)), None);
        failures.push(2004);
        assert_eq!(state(0, &failures).retry_after(at(2005)), Some(899));
    }

    #[test]
    fn a_success_resets_the_streak() {
        // Five failures, a success after the fourth, then one more failure.
        assert_eq!(state(4, &[0, 1, 2, 3, 4]).retry_after(at(5)), None);
        assert_eq!(
            state(4, &[0, 1, 2, 3, 4, 5, 6, 7, 8]).retry_after(at(9)),
            Some(899)
        );
    }

    #[test]
    fn missing_marks_still_throttle_on_the_ones_there() {
        let mut racing = state(0, &[0, 1, 2, 3, 4]);
        racing.marks.retain(|mark| mark.n == 5);
        assert_eq!(racing.retry_after(at(5)), Some(899));
        racing.marks.clear();
        assert_eq!(
            racing.retry_after(at(5)),
            None,
            "no time known, no lock without end"
        );
    }

    #[test]
    fn stale_marks_from_before_a_reset_are_ignored() {
        let mut state = state(5, &[0, 1, 2, 3, 4]);
        state.failures = 10;
        // Failures 6..=10 happened but their marks have not landed; the ring
        // still holds failures 1..=5, from before the reset.
        assert_eq!(state.retry_after(at(6)), None);
    }

    #[test]
    fn state_decodes_from_store_values_of_either_counter_encoding() {
        let username = Username::parse("alice").unwrap();
        let keys = ThrottleState::keys(&username);
        let mark = failure_mark(&username, 6, at(0));
        assert_eq!(mark.0, keys[2 + 1]);
        let mut values = vec![
            Some(b"6".to_vec()),
            Some(b"1".to_vec()),
            None,
            Some(mark.1),
            None,
            None,
            None,
        ];
        let decoded = ThrottleState::decode(&keys, &values).unwrap();
        assert_eq!(
            (decoded.failures, decoded.reset_at, decoded.marks.len()),
            (6, 1, 1)
        );
        values[0] = Some(6i64.to_le_bytes().to_vec());
        assert_eq!(ThrottleState::decode(&keys, &values).unwrap().failures, 6);
    }

    #[test]
    fn a_success_writes_a_reset_only_after_failures() {
        let username = Username::parse("alice").unwrap();
        assert_eq!(reset(&username, &state(0, &[])), None);
        let (key, value) = reset(&username, &state(0, &[0, 1])).unwrap();
        assert_eq!(key, "login:reset:alice");
        assert_eq!(value, b"2");
    }
}
