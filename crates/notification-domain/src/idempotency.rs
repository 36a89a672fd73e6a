//! `Idempotency-Key`: the first request with a key delivers, every repeat
//! gets the first result. The store has no compare-and-swap, so the claim is
//! an atomic increment (whoever raises the counter to 1 delivers). A repeat
//! that arrives while the first is still delivering waits a little for the
//! result, then gives up with [`NotifyError::InProgress`]. If the claimant
//! died mid-delivery, its claim expires after a lease and the next repeat
//! takes over, again by increment, so exactly one taker wins.

use crate::error::{NotifyError, StorageError};
use crate::fields::IdempotencyKey;
use crate::keys;
use crate::notification::Receipt;
use crate::pause::Pause;
use serde::{Deserialize, Serialize};
use service_kit::{Clock, KeyValueStore};
use std::time::Duration;

/// How a repeat waits for a delivery in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdempotencyPolicy {
    /// Time between two looks at the state.
    pub poll_every: Duration,
    /// Looks after the first before answering "in progress".
    pub polls: u32,
    /// After this long without a result the claim counts as abandoned. It
    /// must exceed the longest delivery (the webhook's retries included).
    pub lease: Duration,
}

impl IdempotencyPolicy {
    /// Waits about 5 s: a log delivery takes milliseconds, a webhook one
    /// at most its retries' deadlines.
    pub const DEFAULT: Self = Self {
        poll_every: Duration::from_millis(50),
        polls: 100,
        lease: Duration::from_secs(60),
    };
}

impl Default for IdempotencyPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

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
        policy: &IdempotencyPolicy,
    ) -> Result<Claim, NotifyError> {
        if store.increment(&keys::idempotency_claim(&self.prefix), 1)? == 1 {
            self.start(store, clock)?;
            return Ok(Claim::Owner);
        }
        let lease_ms = i64::try_from(policy.lease.as_millis()).unwrap_or(i64::MAX);
        for look in 0..=policy.polls {
            match self.state(store)? {
                Some(State::Done { receipt }) => return Ok(Claim::Done(receipt)),
                Some(State::InProgress { since_ms })
                    if clock.now().unix_millis().saturating_sub(since_ms) > lease_ms =>
                {
                    let takeover = keys::idempotency_takeover(&self.prefix, since_ms);
                    if store.increment(&takeover, 1)? == 1 {
                        self.start(store, clock)?;
                        return Ok(Claim::Owner);
                    }
                }
                // Not written yet (the owner is between its two writes), or
                // a live delivery: keep looking.
                _ => {}
            }
            if look < policy.polls {
                pause.pause(policy.poll_every);
            }
        }
        Err(NotifyError::InProgress)
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
    /// The state goes first: deleting the claim first could let a new
    /// owner's fresh state be deleted after it was written.
    pub fn release<S: KeyValueStore>(&self, store: &S) -> Result<(), StorageError> {
        store.delete(&keys::idempotency_state(&self.prefix))?;
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
