//! The store's key layout. Caller-chosen strings (user ids, idempotency
//! keys) appear only hashed, so no value can forge another key's name and
//! every key stays short.

use crate::fields::{IdempotencyKey, NotificationId, UserId};
use sha2::{Digest, Sha256};

fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// `notification:<id>`: the JSON record.
pub fn record(id: &NotificationId) -> String {
    format!("notification:{id}")
}

/// `user:<sha256(user_id)>`: prefix of a user's index.
pub fn user(user_id: &UserId) -> String {
    format!("user:{}", digest(user_id.as_str()))
}

/// `user:<h>:seq`: counter, how many notifications the user ever got.
pub fn user_sequence(user: &str) -> String {
    format!("{user}:seq")
}

/// `user:<h>:slot:<0..99>`: which notification got sequence number `s`
/// (kept in slot `(s - 1) mod 100`).
pub fn user_slot(user: &str, slot: u64) -> String {
    format!("{user}:slot:{slot}")
}

/// `idem:<sha256(key)>`: prefix of an idempotency key's entries.
pub fn idempotency(key: &IdempotencyKey) -> String {
    format!("idem:{}", digest(key.as_str()))
}

/// `idem:<h>:claim`: counter; whoever raises it to 1 delivers.
pub fn idempotency_claim(prefix: &str) -> String {
    format!("{prefix}:claim")
}

/// `idem:<h>:state`: JSON, in progress (since when) or done (the receipt).
pub fn idempotency_state(prefix: &str) -> String {
    format!("{prefix}:state")
}

/// `idem:<h>:takeover:<since>`: counter; whoever raises it to 1 takes over
/// the delivery abandoned since `since` (unix ms).
pub fn idempotency_takeover(prefix: &str, since_millis: i64) -> String {
    format!("{prefix}:takeover:{since_millis}")
}

/// `idem:<h>:unstarted`: unix ms when a repeat first found the key claimed
/// but without a state (the claimant failed or died between its two writes):
/// the start of that claim's lease.
pub fn idempotency_unstarted(prefix: &str) -> String {
    format!("{prefix}:unstarted")
}

/// `idem:<h>:adopt:<since>`: counter; whoever raises it to 1 takes over the
/// claim found without a state since `since` (unix ms).
pub fn idempotency_adoption(prefix: &str, since_millis: i64) -> String {
    format!("{prefix}:adopt:{since_millis}")
}
