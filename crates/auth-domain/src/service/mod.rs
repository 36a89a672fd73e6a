//! The auth service: register, login, logout and token checks over its
//! ports. Operations that write also stage their side effects in the outbox
//! (written with the state change, before the caller answers); delivering
//! them is left to [`AuthService::settle`], which the caller runs once its
//! answer is sent.

use domain_core::sha256_hex;
use domain_core::{Clock, KeyValueStore, PageLimit, Pause, StoreError, Timestamp, system_actions};
use serde::de::DeserializeOwned;
use serde_json::json;
use std::time::Duration;

use crate::email::Email;
use crate::error::{RegisterError, TokenError, Unexpected};
use crate::expiry;
use crate::hashing::PasswordHasher;
use crate::keyed_ids::logout_event_id;
use crate::keys;
use crate::outbox::{
    DeadLetterPage, DeliveryPort, FlushReport, Outbox, OutboxSettings, SideEffect, Staged,
};
use crate::password::Password;
use crate::records::{TokenRecord, UserProfile, UserRecord};
use crate::token_lifetime::TokenLifetime;
use crate::username::Username;

mod login;

#[derive(Debug, Clone)]
pub struct Settings {
    pub token_lifetime: TokenLifetime,
    pub outbox: OutboxSettings,
    /// Keys the ids nobody but auth may compute (see [`crate::keyed_ids`]):
    /// the deployment's internal key, so it is secret and stable.
    pub secret_key: Vec<u8>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            token_lifetime: TokenLifetime::DEFAULT,
            outbox: OutboxSettings::default(),
            secret_key: b"change-me".to_vec(),
        }
    }
}

/// A registration whose fields passed the rules.
#[derive(Debug, Clone)]
pub struct Registration {
    pub username: Username,
    pub password: Password,
    pub email: Option<Email>,
}

/// Delivery work an operation leaves for after its answer: its own staged
/// side effects (already stored) and, on paths that authenticated or
/// wrote, a sweep of older pending ones.
#[derive(Debug, Default)]
#[must_use = "pass it to AuthService::settle once the answer is sent"]
pub struct AfterResponse {
    staged: Staged,
    sweep: bool,
}

pub struct AuthService<S, H, C, P, D> {
    store: S,
    hasher: H,
    clock: C,
    pause: P,
    delivery: D,
    settings: Settings,
}

/// The pauses between a registration's looks at a name whose claim it
/// lost (about 1.6 s in all): the winner writes its user a store call
/// after its claim, or gives the name back when that write fails, which
/// on a locked SQLite file can take the store's own retries (about 0.8 s).
const LOST_CLAIM_PAUSES_MS: [u64; 8] = [5, 10, 25, 50, 100, 200, 400, 800];

impl<S, H, C, P, D> AuthService<S, H, C, P, D>
where
    S: KeyValueStore,
    H: PasswordHasher,
    C: Clock,
    P: Pause,
    D: DeliveryPort,
{
    pub fn new(store: S, hasher: H, clock: C, pause: P, delivery: D, settings: Settings) -> Self {
        Self {
            store,
            hasher,
            clock,
            pause,
            delivery,
            settings,
        }
    }

    fn outbox(&self) -> Outbox<'_, S, C, D> {
        Outbox {
            store: &self.store,
            clock: &self.clock,
            delivery: &self.delivery,
            settings: &self.settings.outbox,
        }
    }

    /// Delivers what an operation left for after its answer. Never fails:
    /// what is not delivered stays in the outbox.
    pub fn settle(&self, after: AfterResponse) {
        if after.sweep || !after.staged.is_empty() {
            self.outbox().settle(&after.staged, after.sweep);
        }
    }

    /// Writes `writes` and the staged entries in one call, and leaves the
    /// entries (with a sweep when `sweep`) for after the answer. Entries
    /// whose numbers a stalled store made late get new ones first.
    fn write_with_outbox(
        &self,
        writes: Vec<(String, Vec<u8>)>,
        staged: Staged,
        sweep: bool,
        after: &mut AfterResponse,
    ) -> Result<(), StoreError> {
        self.write_with_outbox_or_landed(writes, staged, sweep, after, || false)
    }

    /// [`Self::write_with_outbox`], where a write the store reports as
    /// failed still counts as done when `landed` finds it in the store: a
    /// reply lost after the write was applied says nothing about the write.
    fn write_with_outbox_or_landed(
        &self,
        mut writes: Vec<(String, Vec<u8>)>,
        staged: Staged,
        sweep: bool,
        after: &mut AfterResponse,
        landed: impl FnOnce() -> bool,
    ) -> Result<(), StoreError> {
        let staged = self.outbox().renumbered_if_late(staged)?;
        writes.extend(staged.writes());
        if let Err(error) = self.store.set_many(&writes) {
            if !landed() {
                return Err(error);
            }
            self.delivery
                .note("write_reported_failed_but_landed", &error.to_string());
        }
        *after = AfterResponse { staged, sweep };
        Ok(())
    }

    /// Stages `action`'s event for `user` and the notification `purpose`
    /// telling them of it, by email when they gave an address.
    fn stage_for_user(
        &self,
        user: &UserRecord,
        action: &str,
        now: Timestamp,
        purpose: &str,
        subject: &str,
        message: String,
    ) -> Result<Staged, StoreError> {
        self.outbox().stage(vec![
            SideEffect::event(
                &user.user_id,
                action,
                now,
                json!({"username": user.username}),
            ),
            SideEffect::notification(&user.user_id, purpose, subject, message)
                .to_email(user.email.as_deref()),
        ])
    }

    /// Creates the user. Exactly one of any number of concurrent
    /// registrations of a name succeeds: the one whose increment of the
    /// name's claim counter returns 1. The password is hashed before the
    /// claim, so the claim and the user record are only microseconds apart.
    pub fn register(
        &self,
        registration: Registration,
    ) -> (Result<UserProfile, RegisterError>, AfterResponse) {
        let mut after = AfterResponse::default();
        let result = self.try_register(registration, &mut after);
        (result, after)
    }

    fn try_register(
        &self,
        registration: Registration,
        after: &mut AfterResponse,
    ) -> Result<UserProfile, RegisterError> {
        let Registration {
            username,
            password,
            email,
        } = registration;
        let user_key = keys::user(&username);
        if self.store.get(&user_key)?.is_some() {
            return Err(RegisterError::UsernameTaken);
        }
        let password_hash = self.hasher.hash(&password)?;
        let now = whole_seconds(self.clock.now());
        let user = UserRecord {
            user_id: uuid::Uuid::new_v4().to_string(),
            username: username.to_string(),
            email: email.map(|email| email.to_string()),
            created_at: now,
            password_hash,
        };
        // Reserved before the claim: a failure here leaves no claim behind.
        let outbox = self.stage_for_user(
            &user,
            system_actions::REGISTER,
            now,
            "welcome",
            "Welcome",
            format!("Welcome, {}! Your account is ready.", user.username),
        )?;
        let claim_key = keys::username_claim(&username);
        if !self.claim_name(&claim_key, &user_key)? {
            return Err(RegisterError::UsernameTaken);
        }
        let writes = vec![(user_key.clone(), to_json(&user))];
        let landed = || self.holds_user(&user_key, &user);
        if let Err(error) = self.write_with_outbox_or_landed(writes, outbox, true, after, landed) {
            // Give the name back so that a retry can have it. If this fails
            // too, the name stays claimed without a user (see the crate docs).
            if let Err(release) = self.store.delete(&claim_key) {
                self.delivery
                    .note("username_claim_stuck", &format!("{claim_key}: {release}"));
            }
            return Err(error.into());
        }
        Ok(user.profile())
    }

    /// Whether `user_key` holds `user` (this registration's: its id is
    /// fresh), read back after a write whose reply said it failed. Giving
    /// the name back when the user is there would let a registration racing
    /// past the first read claim the name and overwrite it. When the read
    /// fails too, nobody can tell: the name is given back, as before.
    fn holds_user(&self, user_key: &str, user: &UserRecord) -> bool {
        let stored = self.store.get(user_key).ok().flatten();
        let stored: Option<UserRecord> = decode(user_key, stored.as_deref()).ok().flatten();
        stored.is_some_and(|stored| stored.user_id == user.user_id)
    }

    /// Whether this registration owns the name: its increment of the claim
    /// counter returned 1. One that lost waits for the winner's outcome, so
    /// that it is told the name is taken only when a user has it: the
    /// winner's user appears (taken), or the winner's write failed and it
    /// gave the claim back (claimed again here). A claim whose owner did
    /// neither within the pauses counts as taken (see the crate docs).
    fn claim_name(&self, claim_key: &str, user_key: &str) -> Result<bool, Unexpected> {
        if self.store.increment(claim_key, 1)? == 1 {
            return Ok(true);
        }
        for pause_ms in LOST_CLAIM_PAUSES_MS {
            if self.store.get(user_key)?.is_some() {
                return Ok(false);
            }
            self.pause.pause(Duration::from_millis(pause_ms));
            if self.store.increment(claim_key, 1)? == 1 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The user a bearer token belongs to, if it is known, unexpired and not
    /// revoked. Reads only: the other services call it for every bearer
    /// request, and a random token must cost nothing but reads. One read
    /// (the token record holds the profile), two for tokens issued before
    /// it did.
    pub fn me(&self, token: &str) -> Result<UserProfile, TokenError> {
        let (_, record) = self.valid_token(token)?;
        if let Some(profile) = record.profile {
            return Ok(UserProfile {
                user_id: record.user_id,
                username: record.username,
                email: profile.email,
                created_at: profile.created_at,
            });
        }
        let username = Username::parse(&record.username)
            .map_err(|error| Unexpected::corrupt(&keys::token(&sha256_hex(token)), error))?;
        let key = keys::user(&username);
        let user: Option<UserRecord> = decode(&key, self.store.get(&key)?.as_deref())?;
        user.map(|user| user.profile()).ok_or(TokenError::Invalid)
    }

    /// Revokes the token: from now on it is invalid everywhere. Every
    /// logout that finds the token valid revokes it and stages the `logout`
    /// event, under one event id per token: of concurrent logouts, analytics
    /// counts the first to arrive and answers the others as duplicates.
    pub fn logout(&self, token: &str) -> (Result<(), TokenError>, AfterResponse) {
        let mut after = AfterResponse::default();
        let result = self.try_logout(token, &mut after);
        (result, after)
    }

    fn try_logout(&self, token: &str, after: &mut AfterResponse) -> Result<(), TokenError> {
        let (key, mut record) = self.valid_token(token)?;
        let now = self.clock.now();
        record.revoked_at = Some(now);
        // The revocation and its event are one write: whichever logout's
        // write lands, the event is in the outbox, and a failed one leaves
        // the token valid for the retry.
        let outbox = self.outbox().stage(vec![
            SideEffect::event(
                &record.user_id,
                system_actions::LOGOUT,
                whole_seconds(now),
                json!({"username": record.username}),
            )
            .with_event_id(logout_event_id(&self.settings.secret_key, &key)),
        ])?;
        self.write_with_outbox(vec![(key, to_json(&record))], outbox, true, after)?;
        Ok(())
    }

    /// Delivers every pending entry it can within the flush budget, then
    /// deletes expired keys with what time is left (at least one page of
    /// them, going on where the last flush stopped).
    pub fn flush_outbox(&self) -> Result<FlushReport, Unexpected> {
        let started = self.clock.now().unix_millis();
        let budget = self.settings.outbox.flush_budget_ms;
        let more_time = || self.clock.now().unix_millis() - started < budget;
        let mut report = self.outbox().flush(&more_time)?;
        report.expired_deleted = expiry::collect(&self.store, self.clock.now(), more_time)?;
        Ok(report)
    }

    /// Dead letters, newest first, numbered below `before` when given.
    pub fn dead_letters(
        &self,
        limit: PageLimit,
        before: Option<u64>,
    ) -> Result<DeadLetterPage, Unexpected> {
        Ok(self.outbox().dead_letters(limit.get(), before)?)
    }

    /// Puts a dead letter back into the outbox; `None` if there is none
    /// under `number`. Returns the new outbox number.
    pub fn replay_dead_letter(&self, number: u64) -> Result<Option<u64>, Unexpected> {
        self.outbox().replay(number)
    }

    fn valid_token(&self, token: &str) -> Result<(String, TokenRecord), TokenError> {
        // Tokens are UUIDs; anything else cannot be one of ours.
        if uuid::Uuid::parse_str(token).is_err() {
            return Err(TokenError::Invalid);
        }
        let key = keys::token(&sha256_hex(token));
        let record: Option<TokenRecord> = decode(&key, self.store.get(&key)?.as_deref())?;
        match record {
            Some(record) if record.is_valid_at(self.clock.now()) => Ok((key, record)),
            _ => Err(TokenError::Invalid),
        }
    }
}

/// Times clients see are whole seconds; sub-second digits say nothing to them.
fn whole_seconds(time: Timestamp) -> Timestamp {
    Timestamp::from_unix_seconds(time.unix_seconds())
}

/// The first whole second at or after `time`.
fn whole_seconds_up(time: Timestamp) -> Timestamp {
    Timestamp::from_unix_seconds((time.unix_millis() + 999).div_euclid(1000))
}

fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("records serialize")
}

fn decode<T: DeserializeOwned>(key: &str, bytes: Option<&[u8]>) -> Result<Option<T>, Unexpected> {
    bytes
        .map(|bytes| serde_json::from_slice(bytes).map_err(|error| Unexpected::corrupt(key, error)))
        .transpose()
}
