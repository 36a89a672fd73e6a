//! The store's key layout. Caller-chosen strings (user ids, idempotency
//! keys) appear only hashed, so no value can forge another key's name and
//! every key stays short.

use crate::fields::{ChannelKind, IdempotencyKey, NotificationId};
use domain_core::{UserId, sha256_hex};

/// `notification:<id>`: the JSON record.
pub fn record(id: &NotificationId) -> String {
    format!("notification:{id}")
}

/// `user:<sha256(user_id)>`: prefix of a user's index.
pub fn user(user_id: &UserId) -> String {
    format!("user:{}", user_id.key_digest())
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
    format!("idem:{}", sha256_hex(key.as_str()))
}

/// `idem:<h>:claim` (generation 0), `idem:<h>:claim:<g>`: counter; whoever
/// raises it to 1 owns that generation of the key and delivers.
pub fn idempotency_claim(prefix: &str, generation: u64) -> String {
    match generation {
        0 => format!("{prefix}:claim"),
        g => format!("{prefix}:claim:{g}"),
    }
}

/// `idem:<h>:state`: JSON: free (claims go to which generation), in progress
/// (since when, in which generation) or done (the receipt).
pub fn idempotency_state(prefix: &str) -> String {
    format!("{prefix}:state")
}

/// `idem:<h>:takeover:<since>`, and `…:<since>:<n>` from the second lease
/// on: counter; whoever raises it to 1 takes over the delivery abandoned
/// since `since` (unix ms), in the `n`-th lease after it. A taker that dies
/// before writing its state holds only its own lease's counter.
pub fn idempotency_takeover(prefix: &str, since_millis: i64, lease: i64) -> String {
    by_lease(format!("{prefix}:takeover:{since_millis}"), lease)
}

/// `idem:<h>:unstarted:<g>`: unix ms when a repeat first found generation
/// `g` claimed but without a state (the claimant failed or died between its
/// two writes): the start of that claim's lease.
pub fn idempotency_unstarted(prefix: &str, generation: u64) -> String {
    format!("{prefix}:unstarted:{generation}")
}

/// `idem:<h>:adopt:<since>`, and `…:<since>:<n>` from the second lease on:
/// counter; whoever raises it to 1 takes over the claim found without a
/// state since `since` (unix ms), in the `n`-th lease after it.
pub fn idempotency_adoption(prefix: &str, since_millis: i64, lease: i64) -> String {
    by_lease(format!("{prefix}:adopt:{since_millis}"), lease)
}

/// `budget:<channel>:<sha256(address)>:<hour>`: counter, notifications
/// charged to the (normalized) address on `channel` in the UTC hour
/// `hour` (unix seconds / 3600). The address is hashed: keys name no one.
pub fn recipient_budget(channel: ChannelKind, address: &str, hour: i64) -> String {
    format!("budget:{channel}:{}:{hour}", sha256_hex(address))
}

/// The first lease keeps the layout stores held before leases were counted.
fn by_lease(key: String, lease: i64) -> String {
    if lease <= 1 {
        key
    } else {
        format!("{key}:{lease}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout is what stores already hold: it must not drift.
    #[test]
    fn caller_chosen_text_appears_as_its_sha256() {
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let user = user(&UserId::parse("abc").unwrap());
        assert_eq!(user, format!("user:{abc}"));
        assert_eq!(user_slot(&user, 7), format!("user:{abc}:slot:7"));
        let key = idempotency(&IdempotencyKey::parse("abc").unwrap());
        assert_eq!(idempotency_claim(&key, 0), format!("idem:{abc}:claim"));
        assert_eq!(
            idempotency_takeover(&key, 5, 1),
            format!("idem:{abc}:takeover:5")
        );
        assert_eq!(
            idempotency_adoption(&key, 5, 3),
            format!("idem:{abc}:adopt:5:3")
        );
        assert_eq!(
            recipient_budget(ChannelKind::Email, "abc", 500_000),
            format!("budget:email:{abc}:500000")
        );
    }
}
