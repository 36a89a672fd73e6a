//! `Idempotency-Key`: the first request with a key delivers, every repeat
//! gets the first result. The store has no compare-and-swap, so the claim is
//! an atomic increment (whoever raises the counter to 1 delivers). A repeat
//! that arrives while the first is still delivering waits a little for the
//! result, then gives up with [`NotifyError::InProgress`]. If the claimant
//! died mid-delivery, its claim expires after a lease and the next repeat
//! takes over, again by increment, so exactly one taker wins.
//!
//! A claim whose state was never written (the state write failed and so did
//! the release, or the claimant died between its two writes) has no start
//! time to lease from: the first repeat that finds it so records when it
//! did, and the claim is taken over a lease after that, the same way. A key
//! is never stuck: whatever failed, a repeat after the lease delivers.

use crate::error::{NotifyError, StorageError};
use crate::fields::IdempotencyKey;
use crate::keys;
use crate::notification::Receipt;
use crate::pause::Pause;
use domain_core::{Clock, KeyValueStore};
use serde::{Deserialize, Serialize};
use std::time::Duration;

// How a repeat waits for a delivery in progress: about 5 s in all, as a log
// delivery takes milliseconds and a webhook one at most its retries' deadlines.

/// Time between two looks at the state.
const POLL_EVERY: Duration = Duration::from_millis(50);
/// Looks after the first before answering "in progress".
pub const POLLS: u32 = 100;
/// After this long without a result a claim counts as abandoned. It exceeds
/// the longest delivery (the webhook's retries included).
pub const LEASE: Duration = Duration::from_secs(60);

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum State {
    InProgress { since_ms: i64 },
    Done { receipt: Receipt },
}

pub(crate) enum Claim {
    /// This request delivers, then stores [`Ticket::done_entry`].
    Owner,
    /// Another request with the key already delivered.
    Done(Receipt),
}

/// One idempotency key's entries in the store.
pub(crate) struct Ticket {
    prefix: String,
}

impl Ticket {
    pub fn new(key: &IdempotencyKey) -> Self {
        Self {
            prefix: keys::idempotency(key),
        }
    }

    /// The first request's receipt, if it has finished: one read.
    pub fn finished<S: KeyValueStore>(&self, store: &S) -> Result<Option<Receipt>, StorageError> {
        Ok(match self.state(store)? {
            Some(State::Done { receipt }) => Some(receipt),
            _ => None,
        })
    }

    pub fn claim<S: KeyValueStore, K: Clock, P: Pause>(
        &self,
        store: &S,
        clock: &K,
        pause: &P,
    ) -> Result<Claim, NotifyError> {
        let claim = keys::idempotency_claim(&self.prefix);
        if store.increment(&claim, 1)? == 1 {
            self.start_or_free(store, clock, &claim)?;
            return Ok(Claim::Owner);
        }
        let lease_ms = i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX);
        for look in 0..=POLLS {
            let abandoned_since = match self.state(store)? {
                Some(State::Done { receipt }) => return Ok(Claim::Done(receipt)),
                Some(State::InProgress { since_ms }) => {
                    Some((keys::idempotency_takeover(&self.prefix, since_ms), since_ms))
                }
                // Right after the claim the owner has not written its state
                // yet: only a state still missing at the next look counts.
                None if look == 0 => None,
                None => {
                    let since_ms = self.unstarted_since(store, clock)?;
                    Some((keys::idempotency_adoption(&self.prefix, since_ms), since_ms))
                }
            };
            if let Some((takeover, since_ms)) = abandoned_since
                && clock.now().unix_millis().saturating_sub(since_ms) > lease_ms
                && store.increment(&takeover, 1)? == 1
            {
                self.start_or_free(store, clock, &takeover)?;
                return Ok(Claim::Owner);
            }
            if look < POLLS {
                pause.pause(POLL_EVERY);
            }
        }
        Err(NotifyError::InProgress)
    }

    /// Writes the in-progress state for a claim just won through `counter`;
    /// if that fails, frees `counter` again (best effort) so the key is not
    /// left claimed without a state, then reports the failure.
    fn start_or_free<S: KeyValueStore, K: Clock>(
        &self,
        store: &S,
        clock: &K,
        counter: &str,
    ) -> Result<(), StorageError> {
        self.start(store, clock).inspect_err(|_| {
            // If this fails too, the claim is one without a state, which a
            // repeat takes over after the lease.
            let _ = store.delete(counter);
        })
    }

    /// When the key was first found claimed without a state: recorded by
    /// the first repeat to look (racing repeats may each record theirs; the
    /// last write wins, which only delays the takeover by milliseconds).
    fn unstarted_since<S: KeyValueStore, K: Clock>(
        &self,
        store: &S,
        clock: &K,
    ) -> Result<i64, StorageError> {
        let key = keys::idempotency_unstarted(&self.prefix);
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
        let state = State::Done {
            receipt: receipt.clone(),
        };
        (
            keys::idempotency_state(&self.prefix),
            serde_json::to_vec(&state).expect("states always serialize"),
        )
    }

    /// Frees the key after a failed delivery so that a retry can claim it.
    /// The claim goes last: deleting it first could let a new owner's fresh
    /// state be deleted after it was written, or a stale "unstarted" mark
    /// let a repeat take over that new owner at once.
    pub fn release<S: KeyValueStore>(&self, store: &S) -> Result<(), StorageError> {
        store.delete(&keys::idempotency_state(&self.prefix))?;
        store.delete(&keys::idempotency_unstarted(&self.prefix))?;
        store.delete(&keys::idempotency_claim(&self.prefix))?;
        Ok(())
    }

    fn start<S: KeyValueStore, K: Clock>(&self, store: &S, clock: &K) -> Result<(), StorageError> {
        let state = State::InProgress {
            since_ms: clock.now().unix_millis(),
        };
        store.set(
            &keys::idempotency_state(&self.prefix),
            &serde_json::to_vec(&state).expect("states always serialize"),
        )?;
        Ok(())
    }

    fn state<S: KeyValueStore>(&self, store: &S) -> Result<Option<State>, StorageError> {
        let key = keys::idempotency_state(&self.prefix);
        store
            .get(&key)?
            .map(|bytes| serde_json::from_slice(&bytes).map_err(|e| StorageError::corrupt(&key, e)))
            .transpose()
    }
}
