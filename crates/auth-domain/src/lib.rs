//! The auth service's rules, free of Spin types so they test natively:
//! validated input ([`Username`], [`Password`], [`Email`]), the
//! [`AuthService`] (register, login, logout, token checks) generic over its
//! ports ([`KeyValueStore`](domain_core::KeyValueStore), [`PasswordHasher`],
//! [`Clock`](domain_core::Clock), [`DeliveryPort`]), login throttling, and
//! the outbox that delivers analytics events and notifications at least once.
//!
//! # Key layout of the `auth` store
//!
//! | key | value | written by | deleted |
//! |---|---|---|---|
//! | `user:{username}` | JSON [`UserRecord`]: id, name, email, created_at, argon2id PHC | register | never |
//! | `claim:user:{username}` | counter; the registration that increments it to 1 owns the name | register | never |
//! | `token:{sha256 hex of token}` | JSON token record: user (with the profile `me` answers), expiry, revocation | login, logout | after expiry |
//! | `login:claims:{username}:{bucket}` | counter: password checks claimed in a 15-minute bucket | every login attempt not locked | after 45–60 min |
//! | `login:reset:{username}:{bucket}` | decimal: the claim number of the bucket's last success | successful login | after 45–60 min |
//! | `login:mark:{username}:{bucket}:{c mod 5}` | JSON `{c, at_ms}`: when failed claim `c` failed | failed login | after 45–60 min |
//! | `outbox:seq` | counter: the last reserved outbox sequence number | every staged delivery | never |
//! | `outbox:entry:{seq, 20 digits}` | JSON [`OutboxEntry`]: one pending event or notification | staged with the state change | once delivered or dead-lettered |
//! | `outbox:low` | JSON low-water mark: every entry below it is settled; plus a checkpoint of `outbox:seq` | sweeps, rarely | never |
//! | `outbox:flush_from` | decimal: where the next flush goes on when the last ran out of time | flush | when a flush reaches the end |
//! | `outbox:target:{analytics,notification}` | JSON back-off of a target that keeps failing | failed rounds | when the target works again |
//! | `outbox:dead:seq`, `outbox:dead:replayed` | counters of dead-letter numbers handed out and no longer waiting (replayed, or never written) | dead-lettering, replay | never |
//! | `outbox:dead:replays:{n, 20 digits}` | counter: replays of dead letter `n` that counted it; the first to raise it counts the letter as replayed | replay | never |
//! | `outbox:dead:{n, 20 digits}` | JSON [`DeadLetter`]: an entry refused with `400`/`422`, and the answer | delivery rounds | on replay |
//! | `expire:count:{bucket}`, `expire:entry:{bucket}:{i}` | keys to delete once `bucket` has passed | login attempts | when collected |
//! | `expire:next` | `{bucket}` or `{bucket}:{entry}`: where collection goes on | flush | never |
//!
//! Usernames are `[a-z0-9._-]`, so no key can collide with another kind.
//! Raw tokens and passwords are never stored: tokens only as their SHA-256
//! digest, passwords only as argon2id PHC strings.
//!
//! Nothing reads the store with `get_keys`: every key is derived from a
//! request (a username, a token), from a counter, or from the time.
//!
//! # Store writes per request
//!
//! Writes are what Spin's SQLite store pays for (each is a transaction), so
//! each path makes few, and `set_many` puts a state change and its outbox
//! entries in one. With the peers up:
//!
//! | request | writes before the answer | after the answer |
//! |---|---|---|
//! | register | 3: reserve outbox numbers, claim the name, user + entries | 1: delete the delivered entries |
//! | register losing the name's claim | 2: reserve, claim; then a read of the user (and another claim, after a pause) until the winner's user appears or it gives the name back | 0 |
//! | login | 4: claim a check, register expiring keys, reserve, token + reset + entries | 1: delete |
//! | failed login, known or unknown name | 3 (4 for a name's first attempt in a bucket): claim, reserve, failure mark + entry | 1: delete |
//! | login refused by the lock | 0 | 0 |
//! | login refused during a burst | 2: claim, give it back | 0 |
//! | logout | 2: reserve, revoked token + entry | 1: delete |
//! | me, health | 0 | 0 |
//!
//! Sweeping someone else's pending entry adds one delete to the request
//! that delivers it; the low-water mark is written about once per grace
//! period (30 s), and a target's back-off once per back-off period.
//!
//! # Storage an unauthenticated caller can cause
//!
//! A failed login for a well-formed name — known or not — writes at most
//! seven throttle keys per name and 15-minute bucket plus one expiry entry,
//! and its `login_failed` outbox entry until delivered; the throttle keys
//! are deleted by the first flush an hour after their bucket began, so
//! 45–60 minutes after they were written.
//! So with the scheduled relay running, what failed logins leave is bounded
//! by about eight keys per distinct name tried in the last hour. A failed
//! login for a malformed name writes only its `login_failed` outbox entry
//! until delivered. Requests with unknown or malformed bearer tokens and
//! throttled attempts write nothing. Token records go the same way once expired.
//!
//! # Residual risks
//!
//! - A registration that dies between claiming the name and writing the
//!   user (the instance is killed, or the store fails and so does giving the
//!   claim back) leaves `claim:user:{name}` without a user: the name cannot
//!   be registered until an operator deletes that key (a registration
//!   waits about 1.6 s for its owner, then answers `409`). The window is the
//!   `set_many` right after the claim; the password is hashed before it. On
//!   Redis, an increment whose reply is lost and is retried by the host may
//!   count twice (spin#3563), with the same effect; for the throttle that
//!   makes one extra claim, which only makes it stricter.
//! - A login attempt that dies between its claim and its outcome leaves a
//!   claim whose fate is unknown; it counts against the account until its
//!   bucket is out of view (at most 30 minutes).
//! - Keys registered for expiry more than four days before the first
//!   flush ever ran, or by a request that took longer than 15 minutes, are
//!   not collected.
//! - Delivery is at least once: concurrent sweeps may deliver an entry
//!   twice, and the receivers deduplicate on its id (an entry its own
//!   request is still trying is left to it: see `OutboxEntry::deferred`). An entry whose target
//!   keeps failing is retried for ever, never dropped. The one way an
//!   entry is left behind: the store stalled its request's write of it for
//!   15 s or more, and the request then could not write it again ahead of
//!   the low-water mark (see the `outbox` module).

mod common_passwords;
mod email;
mod error;
mod expiry;
mod hashing;
pub mod keyed_ids;
mod keys;
mod outbox;
mod password;
mod records;
mod service;
mod throttle;
mod token_lifetime;
mod username;

pub use common_passwords::{CommonPasswords, TableUnavailable};
pub use email::Email;
pub use error::{LoginError, RegisterError, TokenError, Unexpected};
pub use hashing::{Argon2Hasher, HashingError, PasswordHasher};
pub use outbox::{
    DeadLetter, DeadLetterPage, DeliveryOutcome, DeliveryPort, FlushReport, OutboxEntry,
    OutboxSettings, Round, SideEffect,
};
pub use password::{Password, PasswordError};
pub use records::{IssuedToken, UserProfile, UserRecord};
pub use service::{AfterResponse, AuthService, Registration, Settings};
pub use token_lifetime::{InvalidTokenLifetime, TokenLifetime};
pub use username::Username;
