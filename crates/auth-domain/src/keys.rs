//! Where everything lives in the `auth` store (see the crate docs for the
//! table). Usernames cannot contain `:`, so no two kinds of key collide.

use crate::username::Username;

pub fn user(username: &Username) -> String {
    format!("user:{username}")
}

pub fn username_claim(username: &Username) -> String {
    format!("claim:user:{username}")
}

/// `digest` is the SHA-256 hex digest of the token, never the token.
pub fn token(digest: &str) -> String {
    format!("token:{digest}")
}

/// Counter: password checks claimed for `username` in 15-minute bucket `bucket`.
pub fn login_claims(username: &Username, bucket: i64) -> String {
    format!("login:claims:{username}:{bucket}")
}

/// Decimal: the claim number of the successful login in `bucket` that wrote last.
pub fn login_reset(username: &Username, bucket: i64) -> String {
    format!("login:reset:{username}:{bucket}")
}

/// JSON `{c, at_ms}`: when failed claim `c` of `bucket` failed; or
/// `{succeeded: c}`: claim `c` succeeded (slot `c mod 5`).
pub fn login_mark(username: &Username, bucket: i64, slot: u64) -> String {
    format!("login:mark:{username}:{bucket}:{slot}")
}

pub const OUTBOX_SEQ: &str = "outbox:seq";
pub const OUTBOX_LOW: &str = "outbox:low";
/// Decimal: where the next flush goes on, when the last one ran out of time.
pub const OUTBOX_FLUSH_FROM: &str = "outbox:flush_from";

/// Zero-padded so the keys also sort in sequence order for anyone
/// inspecting the store.
pub fn outbox_entry(seq: u64) -> String {
    format!("outbox:entry:{seq:020}")
}

/// JSON back-off state of one delivery target (`analytics`, `notification`).
pub fn outbox_target(target: &str) -> String {
    format!("outbox:target:{target}")
}

/// Counter: the last dead-letter number handed out.
pub const DEAD_LETTER_SEQ: &str = "outbox:dead:seq";
/// Counter: dead-letter numbers no longer waiting, replayed or never
/// written (waiting = seq - replayed).
pub const DEAD_LETTER_REPLAYED: &str = "outbox:dead:replayed";

pub fn dead_letter(number: u64) -> String {
    format!("outbox:dead:{number:020}")
}

/// Counter: replays of dead letter `number` that got as far as counting
/// it; only the first counts it in `DEAD_LETTER_REPLAYED` (and deletes
/// this key again when that fails, so that a retry counts it).
pub fn dead_letter_replays(number: u64) -> String {
    format!("outbox:dead:replays:{number:020}")
}

/// Counter: expiry entries registered for bucket `bucket`.
pub fn expiry_count(bucket: i64) -> String {
    format!("expire:count:{bucket}")
}

/// JSON list of keys to delete once `bucket` has passed.
pub fn expiry_entry(bucket: i64, index: i64) -> String {
    format!("expire:entry:{bucket}:{index}")
}

/// Where the collector goes on: `{bucket}`, or `{bucket}:{entry}` when a
/// collection ran out of time inside that bucket.
pub const EXPIRY_NEXT: &str = "expire:next";
