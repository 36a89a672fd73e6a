//! `Idempotency-Key`: the first request with a key delivers, every repeat
//! gets the first result. The store has no compare-and-swap, so the claim is
//! an atomic increment (whoever raises the counter to 1 delivers). A repeat
//! that arrives while the first is still delivering waits a little for the
//! result, then gives up with [`NotifyError::InProgress`]. If the claimant
//! died mid-delivery, its claim expires after a lease and the next repeat
//! takes over, again by increment (of a counter of that lease and of the
//! next, so that repeats either side of a lease's end cannot both win):
//! exactly one taker wins. A taker that dies right after winning holds
//! those two leases; a repeat after them takes over.
//!
//! A key that is given back (its claimant could not write its state, or
//! could not store its result) is not unclaimed but moves on to a new
//! generation, named in its state: each generation has a claim counter of
//! its own, which only requests that read that generation raise. So no
//! request still at work on an earlier generation can win, or mark, a later
//! one.
//!
//! A claim whose state was never written (the state write failed and so did
//! the give-back, or the claimant died between its two writes) has no start
//! time to lease from: the first repeat that finds it so records when it
//! did, under the claim's generation, and the claim is taken over a lease
//! after that, the same way. A key is never stuck: whatever failed, a repeat
//! after the lease (two, when a taker died right after winning) delivers.

use crate::error::{NotifyError, StorageError};
use crate::fields::IdempotencyKey;
use crate::keys;
use crate::notification::Receipt;
use domain_core::Pause;
use domain_core::{Clock, KeyValueStore};
use serde::{Deserialize, Serialize};
use std::time::Duration;

// How a repeat waits for a delivery in progress: about 5 s in all, which a
// log delivery (milliseconds) and a first try that works fit in; a delivery
// that retries may take longer (see `retry.rs`), and its repeat is then
// answered "in progress" to ask again.

/// Time between two looks at the state.
const POLL_EVERY: Duration = Duration::from_millis(50);
/// Looks after the first before answering "in progress".
pub const POLLS: u32 = 100;
/// After this long without a result a claim counts as abandoned. It exceeds
/// the longest delivery (retries included, 20.4 s on email or SMS) and
/// the store stalls measured (a Redis outage held a request's store calls
/// for 100 s): an owner still at work when its lease ends would deliver a
/// second time beside its taker.
pub const LEASE: Duration = Duration::from_secs(300);

/// The key of a takeover or adoption counter: prefix, since, lease.
type TakerKey = fn(&str, i64, i64) -> String;

/// A claim with no result that may have been abandoned: how to take it
/// over, since when it has been held, and in which generation.
struct Stalled {
    taker_key: TakerKey,
    since_ms: i64,
    generation: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum State {
    /// Open to claims in `generation`; a key never written is open in 0.
    Free {
        generation: u64,
    },
    InProgress {
        since_ms: i64,
        // States written before generations existed belong to the first.
        #[serde(default)]
        generation: u64,
    },
    Done {
        receipt: Receipt,
    },
}

pub(crate) enum Claim {
    /// This request delivers, then stores [`Ticket::done_entry`].
    Owner,
    /// Another request with the key already delivered.
    Done(Receipt),
}

/// What the first read of a key found.
pub(crate) enum Found {
    /// Another request with the key already delivered.
    Finished(Receipt),
    /// No result yet: the ticket claims in the generation that was read.
    Unfinished(Ticket),
}

/// One idempotency key's entries in the store, as one request sees them.
pub(crate) struct Ticket {
    prefix: String,
    /// The claim generation this request works in: the one it read first,
    /// or the one it took over.
    generation: u64,
}

impl Ticket {
    /// Reads the key's state: one read.
    pub fn find<S: KeyValueStore>(key: &IdempotencyKey, store: &S) -> Result<Found, StorageError> {
        let mut ticket = Self {
            prefix: keys::idempotency(key),
            generation: 0,
        };
        Ok(match ticket.state(store)? {
            State::Done { receipt } => Found::Finished(receipt),
            State::Free { generation } | State::InProgress { generation, .. } => {
                ticket.generation = generation;
                Found::Unfinished(ticket)
            }
        })
    }

    pub fn claim<S: KeyValueStore, K: Clock, P: Pause>(
        &mut self,
        store: &S,
        clock: &K,
        pause: &P,
    ) -> Result<Claim, NotifyError> {
        let claim = keys::idempotency_claim(&self.prefix, self.generation);
        if store.increment(&claim, 1)? == 1 {
            self.start(store, clock).inspect_err(|_| {
                // Given back, a retry claims the key at once. If this fails
                // too, the claim is one without a state, which a repeat
                // takes over after the lease.
                let _ = self.release(store);
            })?;
            return Ok(Claim::Owner);
        }
        for look in 0..=POLLS {
            let stalled = match self.state(store)? {
                State::Done { receipt } => return Ok(Claim::Done(receipt)),
                State::InProgress {
                    since_ms,
                    generation,
                } => Some(Stalled {
                    taker_key: keys::idempotency_takeover,
                    since_ms,
                    generation,
                }),
                // This request's generation, claimed but not started. Right
                // after the claim the owner has not written its state yet:
                // only a state still missing at the next look counts.
                State::Free { generation } if generation == self.generation && look > 0 => {
                    Some(Stalled {
                        taker_key: keys::idempotency_adoption,
                        since_ms: self.unstarted_since(store, clock)?,
                        generation,
                    })
                }
                // Either just claimed, or given back since this request
                // claimed: whether anyone claimed the newer generation is
                // unknown here, so it is not this request's to mark.
                State::Free { .. } => None,
            };
            if let Some(stalled) = stalled
                && self.take_over(stalled, store, clock)?
            {
                return Ok(Claim::Owner);
            }
            if look < POLLS {
                pause.pause(POLL_EVERY);
            }
        }
        Err(NotifyError::InProgress)
    }

    /// Takes over `stalled` once its lease has run out, if this request
    /// wins the counters of that lease and the next; `false` otherwise.
    fn take_over<S: KeyValueStore, K: Clock>(
        &mut self,
        stalled: Stalled,
        store: &S,
        clock: &K,
    ) -> Result<bool, NotifyError> {
        let lease_ms = i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX);
        let elapsed = clock.now().unix_millis().saturating_sub(stalled.since_ms);
        if elapsed <= lease_ms {
            return Ok(false);
        }
        // One counter per lease: a taker that won and then died (or whose
        // increment's reply was lost) holds its lease's counter (and the
        // next's, below) only, and a later lease's repeat takes over from
        // it.
        let lease = elapsed / lease_ms;
        let takeover = (stalled.taker_key)(&self.prefix, stalled.since_ms, lease);
        let next = (stalled.taker_key)(&self.prefix, stalled.since_ms, lease + 1);
        // A winner also raises the next lease's counter: a repeat that read
        // the same abandoned state and reached the next lease's (clocks
        // either side of the boundary) finds it raised, or raised it first
        // and makes this one find it so. One of the two takes over, never
        // both.
        if store.increment(&takeover, 1)? != 1 || store.increment(&next, 1)? != 1 {
            return Ok(false);
        }
        self.generation = stalled.generation;
        self.start(store, clock).inspect_err(|_| {
            // Frees both, so the next repeat can try again.
            let _ = store.delete(&takeover);
            let _ = store.delete(&next);
        })?;
        Ok(true)
    }

    /// When this request's generation was first found claimed without a
    /// state: recorded by the first repeat to look (racing repeats may each
    /// record theirs; the last write wins, which only delays the takeover by
    /// milliseconds). Only requests of this generation write here and a
    /// later generation reads a key of its own, so no claim inherits a time
    /// recorded for another.
    fn unstarted_since<S: KeyValueStore, K: Clock>(
        &self,
        store: &S,
        clock: &K,
    ) -> Result<i64, StorageError> {
        let key = keys::idempotency_unstarted(&self.prefix, self.generation);
        if let Some(bytes) = store.get(&key)? {
            return std::str::from_utf8(&bytes)
                .ok()
                .and_then(|text| text.parse().ok())
                .ok_or_else(|| StorageError::corrupt(&key, "not a unix time in ms"));
        }
        let now = clock.now().unix_millis();
        store.set(&key, now.to_string().as_bytes())?;
        Ok(now)
    }

    /// The entry that records `receipt` as the key's result; the owner
    /// stores it in the same transaction as the notification.
    pub fn done_entry(&self, receipt: &Receipt) -> (String, Vec<u8>) {
        (
            keys::idempotency_state(&self.prefix),
            encode(&State::Done {
                receipt: receipt.clone(),
            }),
        )
    }

    /// Gives the key back after a failed delivery so that a retry can claim
    /// it: one write, which opens the next generation. Its claim counter has
    /// never been raised and nothing was ever recorded under it, so the
    /// next claimant starts clean, whatever requests of this generation
    /// still do.
    pub fn release<S: KeyValueStore>(&self, store: &S) -> Result<(), StorageError> {
        self.write(
            store,
            &State::Free {
                generation: self.generation + 1,
            },
        )
    }

    fn start<S: KeyValueStore, K: Clock>(&self, store: &S, clock: &K) -> Result<(), StorageError> {
        self.write(
            store,
            &State::InProgress {
                since_ms: clock.now().unix_millis(),
                generation: self.generation,
            },
        )
    }

    fn write<S: KeyValueStore>(&self, store: &S, state: &State) -> Result<(), StorageError> {
        store.set(&keys::idempotency_state(&self.prefix), &encode(state))?;
        Ok(())
    }

    fn state<S: KeyValueStore>(&self, store: &S) -> Result<State, StorageError> {
        let key = keys::idempotency_state(&self.prefix);
        match store.get(&key)? {
            None => Ok(State::Free { generation: 0 }),
            Some(bytes) => {
                serde_json::from_slice(&bytes).map_err(|e| StorageError::corrupt(&key, e))
            }
        }
    }
}

fn encode(state: &State) -> Vec<u8> {
    serde_json::to_vec(state).expect("states always serialize")
}
