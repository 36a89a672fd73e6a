//! Recording events exactly once and reading the counts.
//!
//! Store operations of `record`, in order (see README.md for the costs):
//! 1. read the index size and the event's claim together;
//! 2. read the index names;
//! 3. if the action is new: take a slot and write the name (two writes, once
//!    per action name, before anything counts it);
//! 4. `increment` the event's claim: only the caller that raises it to 1
//!    counts the event, so racing repeats and redeliveries count nothing;
//! 5. `increment` the action's counter, then the user's counter for it;
//! 6. read the action counters for `total_events`.
//!
//! The overall total is the sum of the action counters rather than a counter
//! of its own: a read is far cheaper than a write, and a sum cannot drift
//! from its parts.

use crate::counts::ActionCounts;
use crate::error::{RecordError, Unexpected};
use crate::event::{Action, EventId, Metadata, UserId};
use crate::{index, keys};
use service_kit::{Clock, KeyValueStore, Timestamp};

/// An event as submitted: every field valid, the optional ones maybe absent.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub event_id: Option<EventId>,
    pub user_id: UserId,
    pub action: Action,
    pub timestamp: Option<Timestamp>,
    pub metadata: Metadata,
}

/// An event with its defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: EventId,
    pub user_id: UserId,
    pub action: Action,
    pub timestamp: Timestamp,
    pub metadata: Metadata,
}

/// What became of a submission.
#[derive(Debug, Clone, PartialEq)]
pub enum Recording {
    /// Counted now; `total_events` includes it.
    Recorded { event: Event, total_events: u64 },
    /// This event id was counted before (or is being counted by a racer);
    /// nothing changed.
    Duplicate {
        event_id: EventId,
        total_events: u64,
    },
}

/// The analytics service over its ports: a Spin-like key-value store (whose
/// operations fail only with `StoreError`) and a clock.
pub struct Analytics<S, C> {
    store: S,
    clock: C,
}

impl<S: KeyValueStore, C: Clock> Analytics<S, C> {
    pub fn new(store: S, clock: C) -> Self {
        Self { store, clock }
    }

    pub fn record(&self, submission: Submission) -> Result<Recording, RecordError> {
        let event = Event {
            id: submission.event_id.unwrap_or_else(EventId::generate),
            timestamp: submission.timestamp.unwrap_or_else(|| self.clock.now()),
            user_id: submission.user_id,
            action: submission.action,
            metadata: submission.metadata,
        };
        let claim = keys::event_claim(&event.id);
        let [slots, earlier_claim] = self.read_pair(keys::ACTION_SLOTS, &claim)?;
        let slots = index::slots_from(slots.as_deref())?;
        let mut actions = index::names(&self.store, slots)?;

        // A plain read answers sequential repeats (redeliveries) without a write.
        if earlier_claim.is_some() {
            return self.duplicate(event.id, &actions);
        }
        if let Err(position) = actions.binary_search(&event.action) {
            index::add(&self.store, &event.action, slots)?;
            actions.insert(position, event.action.clone());
        }
        if self.store.increment(&claim, 1)? != 1 {
            return self.duplicate(event.id, &actions);
        }
        // If the instance dies here the claim stands and the counts below are
        // lost; the reverse order would count racing repeats twice.
        self.store
            .increment(&keys::action_count(&event.action), 1)?;
        self.store
            .increment(&keys::user_action_count(&event.user_id, &event.action), 1)?;

        let total_events = self.counts_of(&actions, keys::action_count)?.total;
        Ok(Recording::Recorded {
            event,
            total_events,
        })
    }

    /// Events per action over all users; reads at most `MAX_ACTIONS` + 1
    /// keys per counter kind, whatever the number of events or users.
    pub fn action_counts(&self) -> Result<ActionCounts, Unexpected> {
        let actions = index::names(&self.store, index::slots(&self.store)?)?;
        self.counts_of(&actions, keys::action_count)
    }

    /// `user`'s events per action; zeros for a user never seen.
    pub fn user_counts(&self, user: &UserId) -> Result<ActionCounts, Unexpected> {
        let actions = index::names(&self.store, index::slots(&self.store)?)?;
        self.counts_of(&actions, |action| keys::user_action_count(user, action))
    }

    fn duplicate(&self, event_id: EventId, actions: &[Action]) -> Result<Recording, RecordError> {
        let total_events = self.counts_of(actions, keys::action_count)?.total;
        Ok(Recording::Duplicate {
            event_id,
            total_events,
        })
    }

    /// One round trip for the counters of every action.
    fn counts_of(
        &self,
        actions: &[Action],
        key: impl Fn(&Action) -> String,
    ) -> Result<ActionCounts, Unexpected> {
        let keys: Vec<String> = actions.iter().map(key).collect();
        let counters = self.store.counters(&keys)?;
        Ok(ActionCounts::from_counters(
            actions.iter().cloned().zip(counters),
        ))
    }

    fn read_pair(&self, first: &str, second: &str) -> Result<[Option<Vec<u8>>; 2], Unexpected> {
        let values = self
            .store
            .get_many(&[first.to_owned(), second.to_owned()])?;
        let mut values = values.into_iter();
        Ok([values.next().flatten(), values.next().flatten()])
    }
}
