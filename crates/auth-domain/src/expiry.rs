//! Keys that matter only for a while (throttle buckets, token records) are
//! deleted once they no longer matter, without listing the store: whoever
//! writes such a key registers it under the 15-minute bucket from which it
//! may go (`expire:count:{bucket}` claims an index, `expire:entry:{bucket}:{i}`
//! lists the keys), and `POST /auth/outbox/flush` — the scheduled relay —
//! collects every bucket that has passed, oldest first, within its budget.

use domain_core::{KeyValueStore, StoreError, Timestamp};

use crate::error::Unexpected;
use crate::keys;
use crate::throttle::bucket;

/// How far back a collector with no bookmark starts: buckets registered
/// earlier than this before the first collection are never visited.
const LOOKBACK_BUCKETS: i64 = 4 * 24 * 4;
/// Registrations read per store round trip.
const PAGE: i64 = 64;

/// Claims an index in `due_bucket` and returns the write (for the caller's
/// `set_many`) that lists `keys` there.
pub(crate) fn register<S: KeyValueStore>(
    store: &S,
    due_bucket: i64,
    keys: &[String],
) -> Result<(String, Vec<u8>), StoreError> {
    let index = store.increment(&keys::expiry_count(due_bucket), 1)?;
    Ok((
        keys::expiry_entry(due_bucket, index),
        serde_json::to_vec(keys).expect("keys serialize"),
    ))
}

/// The bucket from which a key that matters until `until` may be deleted.
/// One bucket of slack lets requests that started before `until` finish.
pub(crate) fn due_bucket_after(until: Timestamp) -> i64 {
    bucket(until) + 2
}

/// Deletes what every passed bucket listed, while `more_time` says so:
/// at least one page of registrations per call, so that collection keeps
/// up even when the outbox used the whole budget, and where time ran out
/// inside a bucket the next call goes on (a bucket may list as many
/// registrations as distinct names were tried in it). Returns how many
/// keys it deleted.
pub(crate) fn collect<S: KeyValueStore>(
    store: &S,
    now: Timestamp,
    more_time: impl Fn() -> bool,
) -> Result<u64, Unexpected> {
    // Only buckets before the current one: a registration for the current
    // bucket may still be on its way.
    let current = bucket(now);
    let bookmark = match store.get(keys::EXPIRY_NEXT)? {
        Some(bytes) => Bookmark::decode(&bytes)?,
        None => Bookmark {
            bucket: current - LOOKBACK_BUCKETS,
            entry: 1,
        },
    };
    let mut next = bookmark.bucket;
    let mut first = bookmark.entry;
    let mut deleted = 0;
    while next < current && (next == bookmark.bucket || more_time()) {
        let (collected, rest) = collect_bucket(store, next, first, &more_time)?;
        deleted += collected;
        if let Some(entry) = rest {
            first = entry;
            break;
        }
        next += 1;
        first = 1;
    }
    let reached = Bookmark {
        bucket: next,
        entry: first,
    };
    if reached != bookmark {
        store.set(keys::EXPIRY_NEXT, reached.encode().as_bytes())?;
    }
    Ok(deleted)
}

/// Where collection goes on: the bucket, and the first of its entries not
/// collected yet. Both live in one key, written in one call, so an entry
/// number can never be taken for another bucket's: a flush that fails
/// between two writes, or two flushes that overlap, would otherwise start
/// a bucket past entries nobody collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bookmark {
    bucket: i64,
    entry: i64,
}

impl Bookmark {
    /// `{bucket}`, or `{bucket}:{entry}` when a flush stopped inside it.
    fn encode(self) -> String {
        match self.entry {
            1 => self.bucket.to_string(),
            entry => format!("{}:{entry}", self.bucket),
        }
    }

    fn decode(bytes: &[u8]) -> Result<Self, Unexpected> {
        let corrupt = || Unexpected::corrupt(keys::EXPIRY_NEXT, "not {bucket} or {bucket}:{entry}");
        let text = std::str::from_utf8(bytes).map_err(|_| corrupt())?;
        let (bucket, entry) = text.split_once(':').unwrap_or((text, "1"));
        Ok(Self {
            bucket: bucket.parse().map_err(|_| corrupt())?,
            entry: entry.parse::<i64>().map_err(|_| corrupt())?.max(1),
        })
    }
}

/// Collects bucket `due` from entry `first`, a page at a time while
/// `more_time` says so (one page at least). Returns the keys deleted, and
/// the first entry left when time ran out before the bucket's end.
fn collect_bucket<S: KeyValueStore>(
    store: &S,
    due: i64,
    mut first: i64,
    more_time: &impl Fn() -> bool,
) -> Result<(u64, Option<i64>), StoreError> {
    let count_key = keys::expiry_count(due);
    let count = store.counter(&count_key)?;
    let mut deleted = 0;
    while first <= count {
        let last = count.min(first + PAGE - 1);
        let entry_keys: Vec<String> = (first..=last)
            .map(|index| keys::expiry_entry(due, index))
            .collect();
        let listed: Vec<String> = store
            .get_many(&entry_keys)?
            .into_iter()
            .flatten()
            .filter_map(|bytes| serde_json::from_slice::<Vec<String>>(&bytes).ok())
            .flatten()
            .collect();
        deleted += listed.len() as u64;
        store.delete_many(&listed)?;
        store.delete_many(&entry_keys)?;
        first = last + 1;
        if first <= count && !more_time() {
            return Ok((deleted, Some(first)));
        }
    }
    if count > 0 {
        store.delete(&count_key)?;
    }
    Ok((deleted, None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain_core::kv::InMemoryStore;

    #[test]
    fn a_bookmark_reads_back_as_written() {
        for bookmark in [
            Bookmark {
                bucket: 1_900_000,
                entry: 1,
            },
            Bookmark {
                bucket: 1_900_000,
                entry: 257,
            },
        ] {
            assert_eq!(
                Bookmark::decode(bookmark.encode().as_bytes()).ok(),
                Some(bookmark)
            );
        }
    }

    #[test]
    fn an_unreadable_bookmark_is_reported_as_corrupt_not_as_the_store_failing() {
        let store = InMemoryStore::default();
        for stored in [&b"yesterday"[..], b"12:x", b"\xff"] {
            store.set(keys::EXPIRY_NEXT, stored).unwrap();
            let error = collect(&store, Timestamp::from_unix_seconds(1_800_000_000), || true)
                .expect_err("an unreadable bookmark");
            assert!(
                matches!(&error, Unexpected::Corrupt { key, .. } if key == keys::EXPIRY_NEXT),
                "{error}"
            );
        }
    }
}
