//! Time, as a port so domain rules about expiry and windows test without waiting.

use chrono::{DateTime, Datelike, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A point in time, shown as RFC 3339 in UTC with a `Z` suffix, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    pub fn from_unix_seconds(seconds: i64) -> Self {
        Self(Utc.timestamp_opt(seconds, 0).single().unwrap_or_default())
    }

    pub fn from_unix_millis(millis: i64) -> Self {
        Self(
            Utc.timestamp_millis_opt(millis)
                .single()
                .unwrap_or_default(),
        )
    }

    pub fn unix_seconds(&self) -> i64 {
        self.0.timestamp()
    }

    pub fn unix_millis(&self) -> i64 {
        self.0.timestamp_millis()
    }

    pub fn plus_seconds(&self, seconds: i64) -> Self {
        Self(self.0 + chrono::Duration::seconds(seconds))
    }

    /// Parses RFC 3339 with any offset; the result is in UTC, and within
    /// the years RFC 3339 can write (0000–9999) once there, so that every
    /// time accepted is shown, and read back, as RFC 3339.
    pub fn parse_rfc3339(text: &str) -> Result<Self, String> {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|time| time.with_timezone(&Utc))
            .filter(|time| (0..=9999).contains(&time.year()))
            .map(Self)
            .ok_or_else(|| "must be an RFC 3339 date-time, e.g. 2026-11-24T19:20:00Z".to_owned())
    }

    pub fn to_rfc3339(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    /// RFC 3339 to the millisecond, for stored times that rules measure in
    /// milliseconds; [`Self::parse_rfc3339`] reads it, and reads whole
    /// seconds too.
    pub fn to_rfc3339_millis(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}

/// Where "now" comes from.
pub trait Clock {
    fn now(&self) -> Timestamp;
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

/// A clock that moves only when told to; clones share one time, so a test
/// keeps a clone to move the clock of a service it has handed one to.
#[derive(Debug, Clone)]
pub struct ManualClock(std::sync::Arc<std::sync::atomic::AtomicI64>);

impl ManualClock {
    pub fn at(time: Timestamp) -> Self {
        Self(std::sync::Arc::new(time.unix_millis().into()))
    }

    pub fn advance(&self, by: std::time::Duration) {
        let millis = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.0
            .fetch_add(millis, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn advance_seconds(&self, seconds: i64) {
        self.0
            .fetch_add(seconds * 1000, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_millis(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}

/// The host's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp(Utc::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc_with_z() {
        let time = Timestamp::from_unix_seconds(1_795_536_000);
        assert_eq!(time.to_rfc3339(), "2026-11-24T16:00:00Z");
        assert_eq!(
            serde_json::to_string(&time).unwrap(),
            "\"2026-11-24T16:00:00Z\""
        );
    }

    #[test]
    fn times_are_shown_to_the_second() {
        let time = Timestamp::from_unix_millis(1_795_536_000_999);
        assert_eq!(time.to_rfc3339(), "2026-11-24T16:00:00Z");
    }

    #[test]
    fn stored_times_keep_their_milliseconds() {
        let time = Timestamp::from_unix_millis(1_795_536_000_999);
        assert_eq!(time.to_rfc3339_millis(), "2026-11-24T16:00:00.999Z");
        assert_eq!(
            Timestamp::parse_rfc3339(&time.to_rfc3339_millis()),
            Ok(time)
        );
    }

    #[test]
    fn offsets_are_converted_to_utc() {
        let time = Timestamp::parse_rfc3339("2026-11-24T19:20:00+02:00").unwrap();
        assert_eq!(time.to_rfc3339(), "2026-11-24T17:20:00Z");
        assert!(Timestamp::parse_rfc3339("yesterday").is_err());
    }

    /// An offset can carry a time past either end of the years RFC 3339
    /// writes: it would be shown as text nothing reads back.
    #[test]
    fn times_outside_rfc3339_years_in_utc_are_refused() {
        for outside in ["0000-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"] {
            assert!(Timestamp::parse_rfc3339(outside).is_err(), "{outside}");
        }
        for edge in ["0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z"] {
            let time = Timestamp::parse_rfc3339(edge).unwrap();
            assert_eq!(time.to_rfc3339(), edge);
        }
    }

    #[test]
    fn a_manual_clock_moves_for_every_clone() {
        let clock = ManualClock::at(Timestamp::from_unix_seconds(100));
        let handed_out = clock.clone();
        clock.advance(std::time::Duration::from_millis(1500));
        clock.advance_seconds(2);
        assert_eq!(handed_out.now().unix_millis(), 103_500);
    }

    #[test]
    fn arithmetic_in_seconds() {
        let time = Timestamp::from_unix_seconds(100);
        assert_eq!(time.plus_seconds(3600).unix_seconds(), 3700);
        assert!(time < time.plus_seconds(1));
    }
}
