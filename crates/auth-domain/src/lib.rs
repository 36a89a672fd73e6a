//! The auth service's rules, free of Spin types so they test natively:
//! validated input ([`Username`], [`Password`], [`Email`]), the
//! [`AuthService`] (register, login, logout, token checks) generic over its
//! ports ([`KeyValueStore`](service_kit::KeyValueStore), [`PasswordHasher`],
//! [`Clock`](service_kit::Clock), [`DeliveryPort`]), login throttling, and
//! the outbox that delivers analytics events and notifications at least once.
//!
//! # Key layout of the `auth` store
//!
//! | key | value | written by |
//! |---|---|---|
//! | `user:{username}` | JSON [`UserRecord`]: id, name, email, created_at, argon2id PHC | register |
//! | `claim:user:{username}` | counter; the registration that increments it to 1 owns the name | register |
//! | `token:{sha256 hex of token}` | JSON token record: user, expiry, revocation | login, logout |
//! | `login:failures:{username}` | counter of failed logins, ever | failed login |
//! | `login:reset:{username}` | decimal: the failure count at the last successful login | successful login |
//! | `login:failure:{username}:{n mod 5}` | JSON `{n, at_ms}`: when failure number `n` happened (a ring of five) | failed login |
//! | `outbox:seq` | counter: the last reserved outbox sequence number | every staged delivery |
//! | `outbox:entry:{seq, 20 digits}` | JSON [`OutboxEntry`]: one pending event or notification | staged with the state change, deleted once settled |
//! | `outbox:low` | JSON low-water mark: every entry below it is settled; plus a checkpoint of `outbox:seq` and a retry back-off | sweeps, rarely |
//!
//! Usernames are `[a-z0-9._-]`, so no key can collide with another kind.
//! Raw tokens and passwords are never stored: tokens only as their SHA-256
//! digest, passwords only as argon2id PHC strings.
//!
//! Nothing reads the store with `get_keys`: every key is derived from a
//! request (a username, a token) or from the outbox's sequence numbers.
//!
//! # Store writes per request
//!
//! Writes are what Spin's SQLite store pays for (each is a transaction), so
//! each path makes few, and `set_many` puts a state change and its outbox
//! entries in one. With the peers up:
//!
//! | request | writes |
//! |---|---|
//! | register | 4: reserve outbox numbers, claim the name, user + entries, delete the delivered entries |
//! | login | 3: reserve, token + entries (+ throttle reset), delete |
//! | failed login, known or unknown user | 3: count, reserve, failure mark (+ the deferred `login_failed` entry) |
//! | logout | 3: reserve, revoked token + entry, delete |
//! | me, throttled login | 0 |
//!
//! Sweeping someone else's pending entry adds one delete to the request
//! that delivers it, and the low-water mark is written about once per grace
//! period (30 s) or when a sweep fails.
//!
//! # Residual risks
//!
//! - A registration that dies between claiming the name and writing the
//!   user (the instance is killed, or the store fails and so does giving the
//!   claim back) leaves `claim:user:{name}` without a user: the name cannot
//!   be registered until an operator deletes that key. The window is the
//!   `set_many` right after the claim; the password is hashed before it. On
//!   Redis, an increment whose reply is lost and is retried by the host may
//!   count twice (spin#3563), with the same effect.
//! - Expired and revoked token records are not deleted (nothing lists the
//!   store); each is a few hundred bytes.
//! - Throttle keys exist for every well-formed username someone failed to
//!   log in as, registered or not; that is what keeps unknown and known
//!   users indistinguishable.
//! - Delivery is at least once: concurrent sweeps may deliver an entry
//!   twice, and the receivers deduplicate on its id. An entry stuck behind
//!   a peer that keeps failing is retried with a back-off, for ever.

pub mod common_passwords;
mod email;
mod error;
pub mod hashing;
pub mod keys;
pub mod outbox;
mod password;
mod records;
mod service;
pub mod throttle;
mod username;

pub use email::{Email, EmailError};
pub use error::{LoginError, RegisterError, TokenError, Unexpected};
pub use hashing::{Argon2Hasher, HashingError, PasswordHasher};
pub use outbox::{
    Delivery, DeliveryOutcome, DeliveryPort, FlushReport, OutboxEntry, OutboxSettings, Round,
};
pub use password::{Password, PasswordError};
pub use records::{IssuedToken, UserProfile, UserRecord};
pub use service::{AuthService, Registration, Settings};
pub use username::{Username, UsernameError};
