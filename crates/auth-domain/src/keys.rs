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

pub fn login_failures(username: &Username) -> String {
    format!("login:failures:{username}")
}

pub fn login_reset(username: &Username) -> String {
    format!("login:reset:{username}")
}

pub fn login_failure_slot(username: &Username, slot: u64) -> String {
    format!("login:failure:{username}:{slot}")
}

pub const OUTBOX_SEQ: &str = "outbox:seq";
pub const OUTBOX_LOW: &str = "outbox:low";

/// Zero-padded so the keys also sort in sequence order for anyone
/// inspecting the store.
pub fn outbox_entry(seq: u64) -> String {
    format!("outbox:entry:{seq:020}")
}
