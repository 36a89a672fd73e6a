//! The key-value port every service stores through, the counter encodings of
//! Spin's two store backends, and an in-memory store for native tests.

mod backend;
mod memory;

pub use backend::Backend;
pub use memory::{Call, CounterEncoding, InMemoryStore, Op};
use std::rc::Rc;
use std::sync::Arc;

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
    if is_decimal_counter(bytes) {
        let text = std::str::from_utf8(bytes).map_err(|_| not_a_counter())?;
        return text.parse().map_err(|_| not_a_counter());
    }
    let little_endian: [u8; 8] = bytes.try_into().map_err(|_| not_a_counter())?;
    Ok(i64::from_le_bytes(little_endian))
}

/// Whether a counter's bytes are Redis's decimal text (an optional minus,
/// then digits) rather than SQLite's 8 bytes little-endian.
pub fn is_decimal_counter(bytes: &[u8]) -> bool {
    let digits = bytes.strip_prefix(b"-").unwrap_or(bytes);
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

/// A shared store is a store: services over `&store`, `Rc` or `Arc` need
/// no wrapper of their own.
macro_rules! forward_store {
    ($($pointer:ty),*) => {$(
        impl<S: KeyValueStore + ?Sized> KeyValueStore for $pointer {
            fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
                (**self).get(key)
            }
            fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
                (**self).get_many(keys)
            }
            fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
                (**self).set(key, value)
            }
            fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
                (**self).set_many(entries)
            }
            fn delete(&self, key: &str) -> Result<(), StoreError> {
                (**self).delete(key)
            }
            fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
                (**self).delete_many(keys)
            }
            fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
                (**self).increment(key, delta)
            }
            fn counter(&self, key: &str) -> Result<i64, StoreError> {
                (**self).counter(key)
            }
            fn counters(&self, keys: &[String]) -> Result<Vec<i64>, StoreError> {
                (**self).counters(keys)
            }
        }
    )*};
}

forward_store!(&S, Rc<S>, Arc<S>);

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

    /// Only a value whose every byte is a digit is Redis's text: a SQLite
    /// count of 49 is the byte `1` followed by seven zero bytes.
    #[test]
    fn a_little_endian_count_with_digit_bytes_is_read_as_little_endian() {
        for count in [49_i64, 0x3031, 57 + (48 << 8) + (1 << 40)] {
            assert_eq!(decode_counter("k", &count.to_le_bytes()), Ok(count));
        }
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
