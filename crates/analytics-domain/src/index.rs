//! The index of action names, so that metrics read a bounded set of known
//! keys instead of listing the store.
//!
//! Without compare-and-swap there is no safe "append if absent", so the
//! index tolerates what racing or dying writers leave behind: a writer that
//! meets a name it does not find takes a fresh slot with `increment` (each
//! slot has exactly one owner) and writes the name there. Of writers racing
//! on one new name, the first to claim the name adds it while the others
//! wait a little for it; a writer that does not see it in time takes a slot
//! too, and readers fold the repeat. A writer that
//! dies between taking and filling its slot leaves it empty; readers skip it.
//! A name is in the index before any count of it exists, so no count is ever
//! invisible to the metrics, and an action that has a counter is indexed.

use crate::error::{RecordError, Unexpected};
use crate::event::Action;
use crate::keys;
use domain_core::kv::Backend;
use domain_core::kv::decode_counter;
use domain_core::{KeyValueStore, system_actions};
use std::collections::BTreeSet;

/// How many index slots are ever read or handed out. Action names come from
/// clients, so without a bound every metrics read could be made arbitrarily
/// expensive; with it, every read costs at most this many keys.
pub const MAX_ACTIONS: u64 = 1000;

/// The slot counter as read from the store (missing = no slots yet).
pub(crate) fn slots_from(value: Option<&[u8]>) -> Result<u64, Unexpected> {
    let slots = match value {
        None => 0,
        Some(bytes) => decode_counter(keys::ACTION_SLOTS, bytes)?,
    };
    Ok(u64::try_from(slots).unwrap_or(0))
}

/// The index as one request read it.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// How many slots had been handed out.
    pub slots: u64,
    /// The distinct names, sorted.
    pub names: Vec<Action>,
    /// The slots taken but holding no name: their writers died, or had not
    /// written yet.
    pub unfilled: Vec<u64>,
}

/// The distinct names in the first `slots` slots (at most `MAX_ACTIONS`),
/// sorted.
pub(crate) fn names(
    store: &impl KeyValueStore,
    backend: Backend,
    slots: u64,
) -> Result<Vec<Action>, Unexpected> {
    Ok(read(store, backend, slots)?.names)
}

/// The first `slots` slots (at most `MAX_ACTIONS`), and once they are all
/// taken the system actions' reserved places too.
pub(crate) fn read(
    store: &impl KeyValueStore,
    backend: Backend,
    slots: u64,
) -> Result<Seen, Unexpected> {
    let slot_keys: Vec<String> = (1..=slots.min(MAX_ACTIONS))
        .map(keys::action_slot)
        .collect();
    let mut names = BTreeSet::new();
    let mut unfilled = Vec::new();
    for (slot, value) in (1..).zip(backend.read_many(store, &slot_keys)?) {
        let Some(bytes) = value else {
            unfilled.push(slot);
            continue;
        };
        let action = String::from_utf8(bytes)
            .ok()
            .and_then(|text| Action::parse(text).ok())
            .ok_or(Unexpected::CorruptIndex { slot })?;
        names.insert(action);
    }
    if slots >= MAX_ACTIONS {
        names.extend(reserved(store, backend)?);
    }
    Ok(Seen {
        slots,
        names: names.into_iter().collect(),
        unfilled,
    })
}

/// Whether `action` is now in a slot that `seen`, the index as a writer
/// read it, did not show filled: one taken since, or one whose writer had
/// taken it but not yet written. Read key by key, which every backend
/// serves.
pub(crate) fn added_since(
    store: &impl KeyValueStore,
    action: &Action,
    seen: &Seen,
) -> Result<bool, Unexpected> {
    let slots_now = slots_from(store.get(keys::ACTION_SLOTS)?.as_deref())?;
    let taken_since = seen.slots + 1..=slots_now.min(MAX_ACTIONS);
    for slot in seen.unfilled.iter().copied().chain(taken_since) {
        if store.get(&keys::action_slot(slot))?.as_deref() == Some(action.as_str().as_bytes()) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The system actions written to their reserved places: read only once
/// the slots are all taken, so a metrics read costs what it did before.
fn reserved(store: &impl KeyValueStore, backend: Backend) -> Result<Vec<Action>, Unexpected> {
    let system: Vec<Action> = system_actions::ALL
        .iter()
        .map(|name| Action::parse((*name).to_owned()).expect("system actions are valid names"))
        .collect();
    let keys: Vec<String> = system.iter().map(keys::reserved_action_slot).collect();
    Ok(system
        .into_iter()
        .zip(backend.read_many(store, &keys)?)
        .filter_map(|(action, value)| value.map(|_| action))
        .collect())
}

/// A new name is refused without a write once the index has handed out
/// all its slots; a system action never is (see [`add`]).
pub(crate) fn refuse_when_full(action: &Action, slots_seen: u64) -> Result<(), RecordError> {
    if slots_seen >= MAX_ACTIONS && !system_actions::is_system_action(action.as_str()) {
        return Err(RecordError::TooManyActions { limit: MAX_ACTIONS });
    }
    Ok(())
}

/// Adds `action`, which was missing from an index of `slots_seen` slots,
/// unless that would take a slot beyond `MAX_ACTIONS`. Two writes: the slot
/// claim and the name. A system action that finds the slots all taken is
/// written to its reserved place instead: the auth service's events are
/// never refused for names other senders introduced.
pub(crate) fn add(
    store: &impl KeyValueStore,
    action: &Action,
    slots_seen: u64,
) -> Result<(), RecordError> {
    let full = RecordError::TooManyActions { limit: MAX_ACTIONS };
    let reserve = || -> Result<(), RecordError> {
        store.set(
            &keys::reserved_action_slot(action),
            action.as_str().as_bytes(),
        )?;
        Ok(())
    };
    let system = system_actions::is_system_action(action.as_str());
    if slots_seen >= MAX_ACTIONS && system {
        return reserve();
    }
    refuse_when_full(action, slots_seen)?;
    let slot = u64::try_from(store.increment(keys::ACTION_SLOTS, 1)?).unwrap_or(0);
    // Racers took the last free slots between our read and our claim.
    if slot == 0 || slot > MAX_ACTIONS {
        return if system { reserve() } else { Err(full) };
    }
    store.set(&keys::action_slot(slot), action.as_str().as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain_core::kv::InMemoryStore;

    fn action(name: &str) -> Action {
        Action::parse(name.to_owned()).unwrap()
    }

    fn slots(store: &InMemoryStore) -> u64 {
        slots_from(store.get(keys::ACTION_SLOTS).unwrap().as_deref()).unwrap()
    }

    #[test]
    fn names_fold_repeats_and_skip_slots_whose_writer_died() {
        let store = InMemoryStore::redis_like();
        add(&store, &action("login"), 0).unwrap();
        // A writer that took slot 2 and died before writing the name.
        store.increment(keys::ACTION_SLOTS, 1).unwrap();
        // Two racers that both added "logout".
        add(&store, &action("logout"), 2).unwrap();
        add(&store, &action("logout"), 2).unwrap();
        assert_eq!(slots(&store), 4);
        for backend in [Backend::RedisLike, Backend::SqliteLike] {
            assert_eq!(
                names(&store, backend, 4).unwrap(),
                [action("login"), action("logout")]
            );
        }
    }

    #[test]
    fn a_slot_with_something_else_than_a_name_is_corruption() {
        let store = InMemoryStore::sqlite_like();
        add(&store, &action("login"), 0).unwrap();
        store.set(&keys::action_slot(1), b"Not An Action").unwrap();
        assert_eq!(
            names(&store, Backend::SqliteLike, 1),
            Err(Unexpected::CorruptIndex { slot: 1 })
        );
    }

    #[test]
    fn slots_beyond_the_limit_are_neither_handed_out_nor_read() {
        let store = InMemoryStore::sqlite_like();
        store
            .increment(keys::ACTION_SLOTS, i64::try_from(MAX_ACTIONS).unwrap() - 1)
            .unwrap();
        add(&store, &action("last"), MAX_ACTIONS - 1).unwrap();
        let full = Err(RecordError::TooManyActions { limit: MAX_ACTIONS });
        // Seen full: refused without a write.
        let writes = store.writes();
        assert_eq!(add(&store, &action("refused"), MAX_ACTIONS), full);
        assert_eq!(store.writes(), writes);
        // Seen with room, but a racer took the last slot first.
        assert_eq!(add(&store, &action("late"), MAX_ACTIONS - 1), full);
        store
            .set(&keys::action_slot(MAX_ACTIONS + 1), b"beyond")
            .unwrap();
        let slots = slots(&store);
        assert_eq!(
            names(&store, Backend::SqliteLike, slots).unwrap(),
            [action("last")]
        );
    }
}
