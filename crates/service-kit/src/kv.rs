//! The key-value port every service stores through, the counter encodings of
//! Spin's two store backends, and an in-memory store for native tests.

mod memory;

pub use memory::{CasOutcome, CounterEncoding, InMemoryStore};

/// A failure of the store itself (unreachable, refused, corrupt). Domain code
/// treats it as unexpected: a 500 for the client, its cause in the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("key-value store unavailable: {0}")]
    Unavailable(String),
    #[error("value under {key:?} is not a counter")]
    NotACounter { key: String },
}

/// A Spin-like key-value store. There is deliberately no compare-and-swap:
/// on Spin's SQLite store it is an upsert for missing keys and on its Redis
/// store it always reports failure, so nothing may rely on it. `increment` is
/// atomic on both and is the one primitive for claims and counts.
///
/// Every method returns [`StoreError::Unavailable`] when the backend fails.
pub trait KeyValueStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Several keys in one round trip, in the order asked.
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError>;

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;

    /// Several keys in one write (one transaction on Spin's SQLite store).
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError>;

    /// Deleting a missing key is not an error.
    fn delete(&self, key: &str) -> Result<(), StoreError>;

    /// Several keys in one write (one statement on Spin's SQLite store).
    /// Missing keys are not an error. The default deletes them one by one.
    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        keys.iter().try_for_each(|key| self.delete(key))
    }

    /// Atomically adds `delta` to the counter at `key` (missing = 0) and
    /// returns the new value. Never mix counters and plain values on one key:
    /// Spin's SQLite store panics on a non-counter value.
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError>;

    /// The counter at `key`, 0 when missing, whichever backend wrote it.
    fn counter(&self, key: &str) -> Result<i64, StoreError> {
        match self.get(key)? {
            None => Ok(0),
            Some(bytes) => decode_counter(key, &bytes),
        }
    }

    /// Several counters in one round trip, in the order asked.
    fn counters(&self, keys: &[String]) -> Result<Vec<i64>, StoreError> {
        self.get_many(keys)?
            .into_iter()
            .zip(keys)
            .map(|(bytes, key)| bytes.map_or(Ok(0), |bytes| decode_counter(key, &bytes)))
            .collect()
    }
}

/// Reads a counter written by `increment` on either backend: Spin's SQLite
/// store keeps 8 bytes little-endian, its Redis store (`INCRBY`) ASCII
/// decimal. Decimal is tried first; it cannot be confused with a real
/// little-endian count, whose bytes would all have to be ASCII digits
/// (a value above 3.4 × 10¹⁸).
pub fn decode_counter(key: &str, bytes: &[u8]) -> Result<i64, StoreError> {
    let not_a_counter = || StoreError::NotACounter {
        key: key.to_owned(),
    };
    if let Some(decimal) = std::str::from_utf8(bytes)
        .ok()
        .filter(|text| is_decimal(text))
    {
        return decimal.parse().map_err(|_| not_a_counter());
    }
    let little_endian: [u8; 8] = bytes.try_into().map_err(|_| not_a_counter())?;
    Ok(i64::from_le_bytes(little_endian))
}

fn is_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_counter_encodings_decode() {
        assert_eq!(decode_counter("k", &42i64.to_le_bytes()), Ok(42));
        assert_eq!(decode_counter("k", b"42"), Ok(42));
        assert_eq!(decode_counter("k", b"-3"), Ok(-3));
        assert_eq!(decode_counter("k", &0i64.to_le_bytes()), Ok(0));
        assert_eq!(decode_counter("k", b"12345678"), Ok(12_345_678));
    }

    #[test]
    fn other_values_are_not_counters() {
        for bytes in [&b"forty"[..], b"", b"-", &[1, 2, 3]] {
            assert!(matches!(
                decode_counter("k", bytes),
                Err(StoreError::NotACounter { .. })
            ));
        }
    }
}
