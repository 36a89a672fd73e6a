//! Recording events exactly once and reading the counts.
//!
//! Store operations of `record` (see README.md for the costs):
//! 1. read the action's counter: if it exists, the action is indexed, and
//!    its encoding tells the backend (see `domain_core::kv::Backend`);
//! 2. only for an action never counted: read the index and, if the name is
//!    missing, claim the name (one write): the first claimer admits it (for
//!    a user: its quota, then a ticket for the users' part of the index) and
//!    takes a slot for it (two writes, once per action name, before anything
//!    counts it), while later ones wait for that slot (up to about 1 s);
//! 3. `increment` the event's claim (scoped to its user): only the caller
//!    that raises it to 1 counts the event, so racing repeats and
//!    redeliveries count nothing;
//! 4. `increment` the action's counter, then the user's counter for it (and,
//!    on a Redis-like store, the overall total); if one fails, reverse the
//!    ones raised and release the claim, so that the sender's retry counts
//!    the event;
//! 5. on a SQLite-like store, read the action counters for `total_events`
//!    (best effort: the event is counted by then).
//!
//! On a SQLite-like store a read of the claim comes before its increment, so
//! that a sequential repeat costs no write; on a Redis-like store the
//! increment costs no more than that read would.

use crate::client::{self, ClientActions};
use crate::counts::ActionCounts;
use crate::error::{RecordError, Unexpected};
use crate::event::{Action, EventId};
use crate::index;
use crate::keys;
use crate::sender::Sender;
use domain_core::kv::Backend;
use domain_core::kv::decode_counter;
use domain_core::{Clock, KeyValueStore, Metadata, Pause, StoreError, Timestamp, UserId};
use std::time::Duration;

/// How a request that found a new name claimed by another waits for it to
/// be added: a look at the slots taken since after each pause, about 1 s in
/// all. Adding a name is up to five writes, each of which a busy SQLite
/// store may hold back for up to 0.8 s (see `spin_edge::kv`); a wait any
/// shorter would have every waiter of a burst take a slot of its own.
const NAME_LOOKS: [Duration; 7] = [
    Duration::from_millis(10),
    Duration::from_millis(20),
    Duration::from_millis(40),
    Duration::from_millis(80),
    Duration::from_millis(160),
    Duration::from_millis(320),
    Duration::from_millis(400),
];

/// An event as submitted: every field valid, the optional ones maybe absent.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub event_id: Option<EventId>,
    pub user_id: UserId,
    pub action: Action,
    pub timestamp: Option<Timestamp>,
    /// Validated, then dropped: nothing stores or logs it.
    pub metadata: Metadata,
}

/// An event with its defaults filled in (its metadata dropped).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: EventId,
    pub user_id: UserId,
    pub action: Action,
    pub timestamp: Timestamp,
}

/// What became of a submission.
#[derive(Debug, Clone, PartialEq)]
pub enum Recording {
    /// Counted now; `total_events` includes it.
    Recorded { event: Event, total_events: u64 },
    /// This user's event id was counted before (or is being counted by a
    /// racer); nothing changed.
    Duplicate {
        event_id: EventId,
        total_events: u64,
    },
}

/// What claiming a name missing from the index found.
enum NameClaim {
    /// This request claimed it first: it adds the name.
    First,
    /// Another claimed it, and the name appeared while this one looked.
    AddedByAnother,
    /// Another claimed it, and the name did not appear in time: its adder
    /// was slow, or died.
    NotSeen,
}

/// Where an action never counted before stands after step 2.
enum Indexing {
    Indexed(Backend),
    /// A sequential repeat, found before anything was written.
    Repeat(Recording),
}

/// The analytics service over its ports: a Spin-like key-value store (whose
/// operations fail only with `StoreError`), a clock, and a way to wait.
pub struct Analytics<S, C, P> {
    store: S,
    clock: C,
    pause: P,
    client_actions: ClientActions,
}

impl<S: KeyValueStore, C: Clock, P: Pause> Analytics<S, C, P> {
    /// A service whose users may record any action that is not reserved.
    pub fn new(store: S, clock: C, pause: P) -> Self {
        Self {
            store,
            clock,
            pause,
            client_actions: ClientActions::Any,
        }
    }

    /// Users may record only `client_actions` (the internal key, anything).
    pub fn with_client_actions(mut self, client_actions: ClientActions) -> Self {
        self.client_actions = client_actions;
        self
    }

    /// Records `submission` for `sender`, who may record it for
    /// `submission.user_id` (see `Sender::subject`).
    pub fn record(
        &self,
        sender: &Sender,
        submission: Submission,
    ) -> Result<Recording, RecordError> {
        if let Sender::User(_) = sender
            && let Err(refusal) = self.client_actions.check(&submission.action)
        {
            return self.repeat_or(refusal, &submission);
        }
        let event = Event {
            id: submission.event_id.unwrap_or_else(EventId::generate),
            timestamp: submission.timestamp.unwrap_or_else(|| self.clock.now()),
            user_id: submission.user_id,
            action: submission.action,
        };
        let claim = keys::event_claim(&event.user_id, &event.id);
        let backend = match self.store.get(&keys::action_count(&event.action))? {
            Some(counter) => Backend::of_counter(&counter),
            None => match self.index_action(sender, &event, &claim)? {
                Indexing::Indexed(backend) => backend,
                Indexing::Repeat(recording) => return Ok(recording),
            },
        };
        match backend {
            Backend::SqliteLike => self.record_summing(event, &claim),
            Backend::RedisLike => self.record_counting(event, &claim),
        }
    }

    /// Events per action over all users; reads at most `MAX_ACTIONS` + 1
    /// keys per counter kind, whatever the number of events or users.
    pub fn action_counts(&self) -> Result<ActionCounts, Unexpected> {
        match self.indexed_actions()? {
            None => Ok(ActionCounts::default()),
            Some((backend, actions)) => self.counts_of(backend, &actions, keys::action_count),
        }
    }

    /// `user`'s events per action; zeros for a user never seen.
    pub fn user_counts(&self, user: &UserId) -> Result<ActionCounts, Unexpected> {
        match self.indexed_actions()? {
            None => Ok(ActionCounts::default()),
            Some((backend, actions)) => {
                self.counts_of(backend, &actions, keys::user_action_counts(user))
            }
        }
    }

    /// A user's event that the list of client actions refuses may have
    /// been counted before the operator narrowed the list: a repeat of it
    /// is the `duplicate` the contract promises every repeat, not a
    /// refusal. One read, and only on the refusal's path.
    fn repeat_or(
        &self,
        refusal: RecordError,
        submission: &Submission,
    ) -> Result<Recording, RecordError> {
        let (RecordError::ActionNotAllowed, Some(event_id)) = (&refusal, submission.event_id)
        else {
            return Err(refusal);
        };
        match self
            .store
            .get(&keys::event_claim(&submission.user_id, &event_id))?
        {
            Some(claimed) => Ok(Recording::Duplicate {
                event_id,
                total_events: self.total(Backend::of_counter(&claimed))?,
            }),
            None => Err(refusal),
        }
    }

    /// Step 2, for an action without a counter: make sure it is indexed.
    fn index_action(
        &self,
        sender: &Sender,
        event: &Event,
        claim: &str,
    ) -> Result<Indexing, RecordError> {
        let slots_counter = self.store.get(keys::ACTION_SLOTS)?;
        let slots = index::slots_from(slots_counter.as_deref())?;
        if let Some(claimed) = self.store.get(claim)? {
            let total_events = self.total(Backend::of_counter(&claimed))?;
            return Ok(Indexing::Repeat(Recording::Duplicate {
                event_id: event.id,
                total_events,
            }));
        }
        let backend = slots_counter.as_deref().map(Backend::of_counter);
        let seen = match backend {
            Some(backend) => index::read(&self.store, backend, slots)?,
            None => index::Seen::default(),
        };
        if seen.names.binary_search(&event.action).is_err() {
            // What refuses without a write comes before the name's claim.
            index::refuse_when_full(&event.action, slots)?;
            if let Sender::User(user) = sender {
                client::refuse_at_once(&self.store, user, slots)?;
            }
            match self.claim_name(&event.action, &seen)? {
                NameClaim::AddedByAnother => {}
                NameClaim::First => self.add_claimed(sender, &event.action, slots)?,
                // A user's request never adds a name it did not claim: a
                // burst of waiters would each take a slot and spend quota.
                // The claim is given up so that the retry (or whoever comes
                // next) claims the name afresh if its adder died.
                NameClaim::NotSeen if matches!(sender, Sender::User(_)) => {
                    self.store.delete(&keys::action_name_claim(&event.action))?;
                    return Err(RecordError::ActionBeingAdded);
                }
                // The internal key's events must not wait on a user's: its
                // request adds the name too, and readers fold the repeat.
                NameClaim::NotSeen => index::add(&self.store, &event.action, slots)?,
            }
        }
        match backend {
            Some(backend) => Ok(Indexing::Indexed(backend)),
            // A store without an index until now: the slot just taken shows
            // which backend it is. Nothing is claimed yet, so an error here
            // leaves the event free for a retry.
            None => {
                let counter =
                    self.store
                        .get(keys::ACTION_SLOTS)?
                        .ok_or(Unexpected::BrokenInvariant(
                            "the action index counter vanished",
                        ))?;
                Ok(Indexing::Indexed(Backend::of_counter(&counter)))
            }
        }
    }

    /// Claims `action`, missing from the index as `seen`: of all the
    /// requests that claim the name, the first adds it at once, and the
    /// others look for it for a while (see `NAME_LOOKS`), so that many
    /// requests meeting one new name at once take one slot, not one each.
    fn claim_name(&self, action: &Action, seen: &index::Seen) -> Result<NameClaim, Unexpected> {
        if self.store.increment(&keys::action_name_claim(action), 1)? == 1 {
            return Ok(NameClaim::First);
        }
        for pause in NAME_LOOKS {
            self.pause.pause(pause);
            if index::added_since(&self.store, action, seen)? {
                return Ok(NameClaim::AddedByAnother);
            }
        }
        Ok(NameClaim::NotSeen)
    }

    /// Adds the name this request claimed first (for a user, once admitted).
    /// A refusal or failure gives the claim up, so that the next request for
    /// the name adds it instead of waiting in vain for this one.
    fn add_claimed(&self, sender: &Sender, action: &Action, slots: u64) -> Result<(), RecordError> {
        let added = match sender {
            Sender::User(user) => client::admit_new_name(&self.store, user, slots),
            Sender::Service => Ok(()),
        }
        .and_then(|()| index::add(&self.store, action, slots));
        if added.is_err() {
            // Best effort: a claim left behind costs the next request a wait.
            let _ = self.store.delete(&keys::action_name_claim(action));
        }
        added
    }

    /// Steps 3–5 where reads are batched and writes are dear: the claim and
    /// the index size in one read, three increments, the total summed.
    fn record_summing(&self, event: Event, claim: &str) -> Result<Recording, RecordError> {
        let backend = Backend::SqliteLike;
        let read = self
            .store
            .get_many(&[claim.to_owned(), keys::ACTION_SLOTS.to_owned()])?;
        let [earlier_claim, slots] = <[_; 2]>::try_from(read).map_err(|_| {
            Unexpected::BrokenInvariant("get_many answered another number of values than keys")
        })?;
        let slots = index::slots_from(slots.as_deref())?;
        let won = earlier_claim.is_none() && self.store.increment(claim, 1)? == 1;
        if !won {
            return Ok(Recording::Duplicate {
                event_id: event.id,
                total_events: self.summed_total(backend, slots)?,
            });
        }
        let raised = self.count(&event, claim, backend)?;
        // Counted: from here on an error would ask the sender to retry an
        // event that stands, and a sender without an event id would count
        // it twice. So a total that cannot be read is this action's count,
        // a lower bound (`total_events` is a snapshot anyway).
        let action_count = raised
            .first()
            .map_or(0, |count| u64::try_from(*count).unwrap_or(0));
        let total_events = self.summed_total(backend, slots).unwrap_or(action_count);
        Ok(Recording::Recorded {
            event,
            total_events,
        })
    }

    /// Steps 3–4 where every key is a round trip and writes are cheap: no
    /// read at all, four increments, the last of which is the total.
    fn record_counting(&self, event: Event, claim: &str) -> Result<Recording, RecordError> {
        let backend = Backend::RedisLike;
        if self.store.increment(claim, 1)? != 1 {
            return Ok(Recording::Duplicate {
                event_id: event.id,
                total_events: self.total(backend)?,
            });
        }
        let raised = self.count(&event, claim, backend)?;
        let total_events = raised
            .last()
            .map_or(0, |total| u64::try_from(*total).unwrap_or(0));
        Ok(Recording::Recorded {
            event,
            total_events,
        })
    }

    /// Raises the counters of an event whose claim this caller won, and
    /// returns their new values. If an increment fails, the ones already
    /// raised are reversed and the claim released before the error goes
    /// back, so that the sender's retry counts the event instead of meeting
    /// a duplicate.
    fn count(&self, event: &Event, claim: &str, backend: Backend) -> Result<Vec<i64>, Unexpected> {
        let mut counters = vec![
            keys::action_count(&event.action),
            keys::user_action_count(&event.user_id, &event.action),
        ];
        if backend == Backend::RedisLike {
            counters.push(keys::TOTAL_COUNT.to_owned());
        }
        let mut raised = Vec::with_capacity(counters.len());
        for key in &counters {
            match self.store.increment(key, 1) {
                Ok(value) => raised.push(value),
                Err(cause) => return Err(self.undo(claim, &counters[..raised.len()], cause)),
            }
        }
        Ok(raised)
    }

    /// Reverses `raised` (newest first), then releases `claim`. The claim is
    /// released only when every reversal succeeded: a retry that found it
    /// free while a count of the first attempt remained would count the
    /// event twice; kept, it makes the retry a duplicate (an undercount).
    fn undo(&self, claim: &str, raised: &[String], cause: StoreError) -> Unexpected {
        let reversed = raised
            .iter()
            .rev()
            .all(|key| self.store.increment(key, -1).is_ok());
        let released = reversed && self.store.delete(claim).is_ok();
        Unexpected::CountingFailed { cause, released }
    }

    /// Events recorded so far, the backend's cheapest way.
    fn total(&self, backend: Backend) -> Result<u64, Unexpected> {
        if backend == Backend::RedisLike {
            return Ok(u64::try_from(self.store.counter(keys::TOTAL_COUNT)?).unwrap_or(0));
        }
        let slots = index::slots_from(self.store.get(keys::ACTION_SLOTS)?.as_deref())?;
        self.summed_total(backend, slots)
    }

    /// The sum of the action counters of the first `slots` index slots.
    fn summed_total(&self, backend: Backend, slots: u64) -> Result<u64, Unexpected> {
        let actions = index::names(&self.store, backend, slots)?;
        Ok(self.counts_of(backend, &actions, keys::action_count)?.total)
    }

    /// The backend and the indexed names, or `None` while nothing is indexed.
    fn indexed_actions(&self) -> Result<Option<(Backend, Vec<Action>)>, Unexpected> {
        let Some(counter) = self.store.get(keys::ACTION_SLOTS)? else {
            return Ok(None);
        };
        let backend = Backend::of_counter(&counter);
        let slots = index::slots_from(Some(&counter))?;
        Ok(Some((backend, index::names(&self.store, backend, slots)?)))
    }

    /// The counters of every action, in the fewest round trips.
    fn counts_of(
        &self,
        backend: Backend,
        actions: &[Action],
        key: impl Fn(&Action) -> String,
    ) -> Result<ActionCounts, Unexpected> {
        let keys: Vec<String> = actions.iter().map(key).collect();
        let values = backend.read_many(&self.store, &keys)?;
        let mut counters = Vec::with_capacity(keys.len());
        for (key, value) in keys.iter().zip(values) {
            counters.push(value.map_or(Ok(0), |bytes| decode_counter(key, &bytes))?);
        }
        Ok(ActionCounts::from_counters(
            actions.iter().cloned().zip(counters),
        ))
    }
}
