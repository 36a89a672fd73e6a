//! Stored notifications and each user's bounded index of recent ones.
//!
//! The index is a ring: a per-user counter hands out sequence numbers, and
//! sequence number `s` is written to slot `(s - 1) mod INDEX_SLOTS`. A
//! listing reads the counter, then the newest `limit` slots, then their
//! records, so it costs three reads whatever other users have stored.

use crate::error::StorageError;
use crate::fields::NotificationId;
use crate::keys;
use crate::notification::NotificationRecord;
use domain_core::PageLimit;
use domain_core::kv::{Backend, decode_counter};
use domain_core::{KeyValueStore, UserId};
use serde::{Deserialize, Serialize};

/// How many of a user's notifications the index remembers; older ones stay
/// readable by id but drop out of the listing. Equal to the largest `limit`.
pub const INDEX_SLOTS: u64 = PageLimit::MAX as u64;

/// A slot's content: the sequence number guards against a slot that a
/// newer notification reused between reading the counter and the slot.
#[derive(Debug, Serialize, Deserialize)]
struct SlotEntry {
    seq: u64,
    id: NotificationId,
}

/// A notification's place in its user's index: taken when it is created,
/// before it is delivered, so that the listing's order is the order in
/// which notifications were created, however long each delivery took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    user: String,
    seq: u64,
}

/// Takes the next place in `user_id`'s index: one counter increment.
pub fn reserve<S: KeyValueStore>(store: &S, user_id: &UserId) -> Result<Place, StorageError> {
    let user = keys::user(user_id);
    let seq = sequence(store.increment(&keys::user_sequence(&user), 1)?).max(1);
    Ok(Place { user, seq })
}

/// Writes `record` and its index entry at `place`, plus `extra` entries in
/// the same transaction: one read of the slot, one `set_many`.
///
/// The slot is left alone when a notification numbered at least
/// `INDEX_SLOTS` later already took it (this one delivered, or its instance
/// stalled, while that many more came): writing it would hide the newer
/// one from the listing, whereas this one is past the listing's reach
/// anyway. It stays readable by id.
pub fn save<S: KeyValueStore>(
    store: &S,
    record: &NotificationRecord,
    place: &Place,
    extra: Vec<(String, Vec<u8>)>,
) -> Result<(), StorageError> {
    let notification = &record.notification;
    let slot_key = keys::user_slot(&place.user, (place.seq - 1) % INDEX_SLOTS);
    let mut entries = vec![(
        keys::record(&notification.notification_id),
        serde_json::to_vec(record).expect("records always serialize"),
    )];
    if !taken_by_a_newer_one(store, &slot_key, place.seq) {
        let slot = SlotEntry {
            seq: place.seq,
            id: notification.notification_id,
        };
        entries.push((
            slot_key,
            serde_json::to_vec(&slot).expect("slots always serialize"),
        ));
    }
    entries.extend(extra);
    store.set_many(&entries)?;
    Ok(())
}

/// Whether the slot holds a later lap's entry. A slot that cannot be read
/// or decoded is written: the delivery has happened, and failing its
/// record for the sake of a guard would only invite a second one.
fn taken_by_a_newer_one<S: KeyValueStore>(store: &S, slot_key: &str, seq: u64) -> bool {
    let Ok(Some(bytes)) = store.get(slot_key) else {
        return false;
    };
    // Entries in one slot differ by multiples of INDEX_SLOTS, so a larger
    // number is at least a lap ahead.
    serde_json::from_slice::<SlotEntry>(&bytes).is_ok_and(|entry| entry.seq > seq)
}

/// The record of `id`, if there is one: one read.
pub fn load<S: KeyValueStore>(
    store: &S,
    id: &NotificationId,
) -> Result<Option<NotificationRecord>, StorageError> {
    let key = keys::record(id);
    store
        .get(&key)?
        .map(|bytes| decode(&key, &bytes))
        .transpose()
}

/// The user's newest `limit` notifications, newest first: three reads
/// (one per key on Redis, which cannot read a batch; the sequence counter's
/// encoding tells which store this is). More slot reads only when some of
/// the newest slots are empty (see [`listed_record_keys`]).
pub fn recent<S: KeyValueStore>(
    store: &S,
    user_id: &UserId,
    limit: PageLimit,
) -> Result<Vec<NotificationRecord>, StorageError> {
    let user = keys::user(user_id);
    let sequence_key = keys::user_sequence(&user);
    let Some(counter) = store.get(&sequence_key)? else {
        return Ok(Vec::new());
    };
    let backend = Backend::of_counter(&counter);
    let newest = sequence(decode_counter(&sequence_key, &counter)?);
    let record_keys = listed_record_keys(store, backend, &user, newest, limit.get() as u64)?;

    let mut records = Vec::with_capacity(record_keys.len());
    for (key, value) in record_keys
        .iter()
        .zip(backend.read_many(store, &record_keys)?)
    {
        if let Some(bytes) = value {
            records.push(decode(key, &bytes)?);
        }
    }
    Ok(records)
}

/// The record keys of the `limit` newest slots that hold their own
/// sequence number, newest first. A slot is empty while its notify is
/// still delivering, or for good when that notify's last write failed; it
/// then still holds the entry of the notification `INDEX_SLOTS` before.
/// Such a slot is skipped and the page is filled from older ones, so that
/// a short page always means the user has no more listed notifications.
/// Each further read looks back at least as far again as all reads
/// before it, so a listing reads the ring in at most eight batches.
fn listed_record_keys<S: KeyValueStore>(
    store: &S,
    backend: Backend,
    user: &str,
    newest: u64,
    limit: u64,
) -> Result<Vec<String>, StorageError> {
    let listable = newest.min(INDEX_SLOTS);
    let mut record_keys = Vec::new();
    let mut looked_back = 0;
    while looked_back < listable && (record_keys.len() as u64) < limit {
        let missing = limit - record_keys.len() as u64;
        let batch = missing.max(looked_back).min(listable - looked_back);
        let sequence_numbers: Vec<u64> = (looked_back..looked_back + batch)
            .map(|back| newest - back)
            .collect();
        let slot_keys: Vec<String> = sequence_numbers
            .iter()
            .map(|seq| keys::user_slot(user, (seq - 1) % INDEX_SLOTS))
            .collect();
        for ((key, value), seq) in slot_keys
            .iter()
            .zip(backend.read_many(store, &slot_keys)?)
            .zip(&sequence_numbers)
        {
            let Some(bytes) = value else { continue };
            let entry: SlotEntry =
                serde_json::from_slice(&bytes).map_err(|e| StorageError::corrupt(key, e))?;
            if entry.seq == *seq {
                record_keys.push(keys::record(&entry.id));
            }
        }
        looked_back += batch;
    }
    record_keys.truncate(limit as usize);
    Ok(record_keys)
}

/// Counters start at 0 and only grow; a negative one was not written by us.
fn sequence(counter: i64) -> u64 {
    u64::try_from(counter).unwrap_or(0)
}

fn decode(key: &str, bytes: &[u8]) -> Result<NotificationRecord, StorageError> {
    serde_json::from_slice(bytes).map_err(|error| StorageError::corrupt(key, error))
}
