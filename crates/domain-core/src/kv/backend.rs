//! Which of Spin's two store backends a store is, told by how its counters
//! are encoded, and what that means for reading and counting cheaply.
//!
//! Spin's SQLite store keeps a counter as 8 bytes little-endian, reads many
//! keys in one round trip (`get-many`) and pays a durable transaction per
//! write: there, reads are spent to save writes. Spin's Redis store keeps a
//! counter as decimal text (`INCRBY`), refuses `get-many` (it sends `KEYS`),
//! so every key is its own round trip, and writes as cheaply as it reads:
//! there, one more increment beats reading a key per action. A store's
//! backend never changes, so every request over one store makes the same
//! choice and the keys each choice maintains stay complete.

use super::{KeyValueStore, StoreError, is_decimal_counter};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Batched reads, costly writes: the overall total is summed on read.
    SqliteLike,
    /// A round trip per key, cheap writes: the overall total is a counter.
    RedisLike,
}

impl Backend {
    /// The backend that wrote `counter` (the raw bytes of a key only ever
    /// touched by `increment`).
    pub fn of_counter(counter: &[u8]) -> Self {
        if is_decimal_counter(counter) {
            Self::RedisLike
        } else {
            Self::SqliteLike
        }
    }

    /// Several keys in the fewest round trips this backend allows: one
    /// `get_many`, or one `get` each where a batch would only be refused.
    pub fn read_many(
        self,
        store: &impl KeyValueStore,
        keys: &[String],
    ) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        match self {
            Self::SqliteLike => store.get_many(keys),
            Self::RedisLike => keys.iter().map(|key| store.get(key)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::{InMemoryStore, Op};

    /// Spin's Redis store refuses `get_many`.
    #[test]
    fn a_redis_like_store_is_read_key_by_key_and_a_sqlite_like_one_in_one_batch() {
        let keys = ["a".to_owned(), "b".to_owned()];
        let store = InMemoryStore::default();
        store.set("a", b"1").unwrap();
        store.take_calls();

        let read = Backend::RedisLike.read_many(&store, &keys).unwrap();
        assert_eq!(read, [Some(b"1".to_vec()), None]);
        let ops: Vec<_> = store.take_calls().iter().map(|call| call.op).collect();
        assert_eq!(ops, [Op::Get, Op::Get]);

        let read = Backend::SqliteLike.read_many(&store, &keys).unwrap();
        assert_eq!(read, [Some(b"1".to_vec()), None]);
        let ops: Vec<_> = store.take_calls().iter().map(|call| call.op).collect();
        assert_eq!(ops, [Op::GetMany]);
    }

    #[test]
    fn each_backend_is_told_by_its_counter_encoding() {
        for (store, backend) in [
            (InMemoryStore::sqlite_like(), Backend::SqliteLike),
            (InMemoryStore::redis_like(), Backend::RedisLike),
        ] {
            for value in [1, 12_345_678, 3_000_000_000] {
                store.increment("k", value).unwrap();
                let raw = store.get("k").unwrap().unwrap();
                assert_eq!(Backend::of_counter(&raw), backend, "{value}");
            }
        }
    }
}
