//! The auth service: register, login, logout and token checks over its
//! ports. Operations that write also stage their side effects in the outbox
//! (written with the state change, before the caller answers); delivering
//! them is left to [`AuthService::settle`], which the caller runs once its
//! answer is sent.

use domain_core::sha256_hex;
use domain_core::{Clock, KeyValueStore, PageLimit, StoreError, Timestamp, system_actions};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::email::Email;
use crate::error::{LoginError, RegisterError, TokenError, Unexpected};
use crate::expiry;
use crate::hashing::PasswordHasher;
use crate::keyed_ids::{logout_event_id, pseudonymous_user_id};
use crate::keys;
use crate::outbox::{
    DeadLetterPage, DeliveryPort, FlushReport, Outbox, OutboxSettings, SideEffect, Staged,
};
use crate::password::Password;
use crate::records::{IssuedToken, TokenProfile, TokenRecord, UserProfile, UserRecord};
use crate::throttle::{self, Admission, ThrottleView};
use crate::username::Username;

/// How much of a name no account can have its `login_failed` event shows:
/// a name is at most 32 characters, so this shows what it was meant to be.
const IMPOSSIBLE_NAME_SHOWN: usize = 64;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Lifetime of a bearer token.
    pub token_ttl_seconds: i64,
    pub outbox: OutboxSettings,
    /// Keys the ids nobody but auth may compute (see [`crate::keyed_ids`]):
    /// the deployment's internal key, so it is secret and stable.
    pub secret_key: Vec<u8>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            token_ttl_seconds: 3600,
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

pub struct AuthService<S, H, C, D> {
    store: S,
    hasher: H,
    clock: C,
    delivery: D,
    settings: Settings,
}

impl<S, H, C, D> AuthService<S, H, C, D>
where
    S: KeyValueStore,
    H: PasswordHasher,
    C: Clock,
    D: DeliveryPort,
{
    pub fn new(store: S, hasher: H, clock: C, delivery: D, settings: Settings) -> Self {
        Self {
            store,
            hasher,
            clock,
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
        mut writes: Vec<(String, Vec<u8>)>,
        staged: Staged,
        sweep: bool,
        after: &mut AfterResponse,
    ) -> Result<(), StoreError> {
        let staged = self.outbox().renumbered_if_late(staged)?;
        writes.extend(staged.writes());
        self.store.set_many(&writes)?;
        *after = AfterResponse { staged, sweep };
        Ok(())
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
        let outbox = self.outbox().stage(vec![
            SideEffect::event(
                &user.user_id,
                system_actions::REGISTER,
                now,
                json!({"username": user.username}),
            ),
            SideEffect::notification(
                &user.user_id,
                "Welcome",
                format!("Welcome, {}! Your account is ready.", user.username),
            )
            .to_email(user.email.as_deref()),
        ])?;
        let claim_key = keys::username_claim(&username);
        if self.store.increment(&claim_key, 1)? != 1 {
            return Err(RegisterError::UsernameTaken);
        }
        let writes = vec![(user_key, to_json(&user))];
        if let Err(error) = self.write_with_outbox(writes, outbox, true, after) {
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

    /// Checks the credentials and issues a token. Unknown users and wrong
    /// passwords cost the same: the same reads, one argon2 verification
    /// (against a dummy hash for unknown users), the same writes, and a
    /// `login_failed` event (under a pseudonymous user id for an unknown
    /// name). The `throttle` module says how attempts are admitted.
    pub fn login(
        &self,
        username: &str,
        password: &str,
    ) -> (Result<IssuedToken, LoginError>, AfterResponse) {
        let mut after = AfterResponse::default();
        let result = self.try_login(username, password, &mut after);
        (result, after)
    }

    fn try_login(
        &self,
        username: &str,
        password: &str,
        after: &mut AfterResponse,
    ) -> Result<IssuedToken, LoginError> {
        let Ok(username) = Username::parse(username) else {
            // No account can have this name: no throttle to count it
            // against, but a failed attempt all the same.
            self.hasher.verify_dummy(password);
            self.record_impossible_name(username, after)?;
            return Err(LoginError::InvalidCredentials);
        };
        let now = self.clock.now();
        let bucket = throttle::bucket(now);
        let (user, view) = self.read_for_login(&username, bucket)?;
        if let Some(retry_after_seconds) = view.locked(now) {
            return Err(LoginError::TooManyAttempts {
                retry_after_seconds,
            });
        }
        let attempt = self.claim_a_check(&username, bucket, view, now)?;
        let answer = self.check_password(&attempt, user, password, after);
        if matches!(answer, Err(LoginError::Unexpected(_))) && !attempt.bucket_keys.is_empty() {
            // The write that would have registered the new bucket's keys
            // failed or never came, and no later claim registers them.
            if let Err(error) = self.register_bucket_keys(bucket, &attempt.bucket_keys) {
                self.delivery
                    .note("login_bucket_keys_unregistered", &error.to_string());
            }
        }
        answer
    }

    /// The user, and the throttle's view of the name around `bucket`: one
    /// batch read, two when an older bucket can matter.
    fn read_for_login(
        &self,
        username: &Username,
        bucket: i64,
    ) -> Result<(Option<UserRecord>, ThrottleView), LoginError> {
        let user_key = keys::user(username);
        let throttle_keys = ThrottleView::keys(username, bucket);
        let mut read = vec![user_key.clone()];
        read.extend(throttle_keys.iter().cloned());
        let values = self.store.get_many(&read)?;
        let user: Option<UserRecord> = decode(&user_key, values[0].as_deref())?;
        let mut view = ThrottleView::decode(bucket, &throttle_keys, &values[1..])?;
        if view.needs_older() {
            let older_keys = ThrottleView::older_keys(username, bucket);
            let older = self.store.get_many(&older_keys)?;
            view = view.with_older(&older_keys, &older)?;
        }
        Ok((user, view))
    }

    /// Claims a number in `bucket` and, when the throttle admits it, the
    /// attempt that may check the password; a refusal gives the number back.
    /// Counted before the password is checked, so that however many
    /// attempts arrive at once, each knows its place.
    fn claim_a_check<'a>(
        &self,
        username: &'a Username,
        bucket: i64,
        view: ThrottleView,
        now: Timestamp,
    ) -> Result<Attempt<'a>, LoginError> {
        let claims_key = keys::login_claims(username, bucket);
        let claim = self.store.increment(&claims_key, 1)?.max(0) as u64;
        // The first claim of a bucket has the bucket's keys deleted later.
        let bucket_keys = (claim == 1).then(|| throttle::bucket_keys(username, bucket));
        let admission = match view.admit(claim, now) {
            // Attempts whose clocks put them in the bucket either side may
            // have claimed since the read above, unseen by it, and would
            // not have seen this claim either: read after claiming, so
            // that of any two such attempts at least one sees the other.
            Admission::Check { .. } => {
                let neighbour_keys = throttle::Neighbours::keys(username, bucket);
                match self.store.counters(&neighbour_keys) {
                    Ok(counts) => {
                        let neighbours = throttle::Neighbours::from_counts(&counts);
                        view.admit_after_claim(claim, now, neighbours)
                    }
                    Err(error) => {
                        // No password was checked.
                        self.give_back(&claims_key, bucket, bucket_keys.as_deref())?;
                        return Err(error.into());
                    }
                }
            }
            refused => refused,
        };
        match admission {
            Admission::Check { .. } => Ok(Attempt {
                username,
                bucket,
                claim,
                bucket_keys: bucket_keys.unwrap_or_default(),
            }),
            Admission::Refused {
                retry_after_seconds,
            } => {
                self.give_back(&claims_key, bucket, bucket_keys.as_deref())?;
                Err(LoginError::TooManyAttempts {
                    retry_after_seconds,
                })
            }
            Admission::Reused => {
                if let Some(bucket_keys) = &bucket_keys {
                    self.register_bucket_keys(bucket, bucket_keys)?;
                }
                // Only a race made it: a new claim is admitted at once.
                Err(LoginError::TooManyAttempts {
                    retry_after_seconds: 1,
                })
            }
        }
    }

    /// The claimed attempt's password check, and what it writes.
    fn check_password(
        &self,
        attempt: &Attempt<'_>,
        user: Option<UserRecord>,
        password: &str,
        after: &mut AfterResponse,
    ) -> Result<IssuedToken, LoginError> {
        let verified = match &user {
            Some(user) => self.hasher.verify(password, &user.password_hash)?,
            None => {
                self.hasher.verify_dummy(password);
                false
            }
        };
        match user {
            Some(user) if verified => self.issue_token(attempt, &user, after),
            user => {
                self.record_failure(attempt, user.as_ref(), after)?;
                Err(LoginError::InvalidCredentials)
            }
        }
    }

    /// Has the expiry collector delete `bucket_keys` once `bucket` no
    /// longer matters.
    fn register_bucket_keys(&self, bucket: i64, bucket_keys: &[String]) -> Result<(), StoreError> {
        let due = throttle::expiry_due(bucket);
        let (key, value) = expiry::register(&self.store, due, bucket_keys)?;
        self.store.set(&key, &value)
    }

    /// Takes back a claim that checked no password, so that refusals do
    /// not lengthen the lock. If that fails the claim stands, which only
    /// makes the rule stricter until the bucket is out of view. A claim
    /// that opened the bucket still has the bucket's keys deleted later.
    fn give_back(
        &self,
        claims_key: &str,
        bucket: i64,
        bucket_keys: Option<&[String]>,
    ) -> Result<(), LoginError> {
        if let Err(error) = self.store.increment(claims_key, -1) {
            self.delivery
                .note("login_claim_not_given_back", &error.to_string());
        }
        if let Some(bucket_keys) = bucket_keys {
            self.register_bucket_keys(bucket, bucket_keys)?;
        }
        Ok(())
    }

    fn issue_token(
        &self,
        attempt: &Attempt<'_>,
        user: &UserRecord,
        after: &mut AfterResponse,
    ) -> Result<IssuedToken, LoginError> {
        let token = uuid::Uuid::new_v4().to_string();
        let digest = sha256_hex(&token);
        let now = whole_seconds(self.clock.now());
        let expires_at = now.plus_seconds(self.settings.token_ttl_seconds);
        let record = TokenRecord {
            user_id: user.user_id.clone(),
            username: user.username.clone(),
            issued_at: now,
            expires_at,
            revoked_at: None,
            profile: Some(TokenProfile {
                email: user.email.clone(),
                created_at: user.created_at,
            }),
        };
        let outbox = self.outbox().stage(vec![
            SideEffect::event(
                &user.user_id,
                system_actions::LOGIN,
                now,
                json!({"username": user.username}),
            ),
            SideEffect::notification(
                &user.user_id,
                "New sign-in",
                format!("New sign-in to your account {} at {now}.", user.username),
            )
            .to_email(user.email.as_deref()),
        ])?;
        // The token's keys go once it has expired; the bucket's throttle
        // keys (if this attempt opened the bucket) ride along, as they
        // matter for a shorter time.
        let mut expiring = vec![keys::token(&digest)];
        expiring.extend(attempt.bucket_keys.iter().cloned());
        let due = expiry::due_bucket_after(expires_at).max(throttle::expiry_due(attempt.bucket));
        let writes = vec![
            (keys::token(&digest), to_json(&record)),
            throttle::reset(attempt.username, attempt.bucket, attempt.claim),
            expiry::register(&self.store, due, &expiring)?,
        ];
        self.write_with_outbox(writes, outbox, true, after)?;
        Ok(IssuedToken {
            token,
            user_id: user.user_id.clone(),
            expires_in: self.settings.token_ttl_seconds,
            expires_at,
        })
    }

    /// Records when the failure happened, with its `login_failed` event in
    /// the same write. Known and unknown names do the same store work; the
    /// event is delivered after the answer, with no sweep (the caller did
    /// not authenticate).
    fn record_failure(
        &self,
        attempt: &Attempt<'_>,
        user: Option<&UserRecord>,
        after: &mut AfterResponse,
    ) -> Result<(), LoginError> {
        let now = self.clock.now();
        let user_id = match user {
            Some(user) => user.user_id.clone(),
            None => pseudonymous_user_id(&self.settings.secret_key, attempt.username.as_str()),
        };
        let outbox = self.stage_login_failed(&user_id, attempt.username.as_str(), now)?;
        let mut writes = vec![throttle::failure_mark(
            attempt.username,
            attempt.bucket,
            attempt.claim,
            now,
        )];
        if !attempt.bucket_keys.is_empty() {
            writes.push(expiry::register(
                &self.store,
                throttle::expiry_due(attempt.bucket),
                &attempt.bucket_keys,
            )?);
        }
        self.write_with_outbox(writes, outbox, false, after)?;
        Ok(())
    }

    /// `login_failed` for a name no account can have, under its pseudonym,
    /// with the name as typed cut short: it may be any text up to the body
    /// limit, and the event's metadata is bounded.
    fn record_impossible_name(
        &self,
        typed: &str,
        after: &mut AfterResponse,
    ) -> Result<(), LoginError> {
        let user_id = pseudonymous_user_id(&self.settings.secret_key, typed);
        let shown: String = typed
            .to_lowercase()
            .chars()
            .take(IMPOSSIBLE_NAME_SHOWN)
            .collect();
        let outbox = self.stage_login_failed(&user_id, &shown, self.clock.now())?;
        self.write_with_outbox(Vec::new(), outbox, false, after)?;
        Ok(())
    }

    /// The `login_failed` event of `user_id`, whose name is shown as
    /// `username`, staged for the caller's write.
    fn stage_login_failed(
        &self,
        user_id: &str,
        username: &str,
        at: Timestamp,
    ) -> Result<Staged, StoreError> {
        self.outbox().stage(vec![SideEffect::event(
            user_id,
            system_actions::LOGIN_FAILED,
            whole_seconds(at),
            json!({"username": username}),
        )])
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
        Ok(self.outbox().replay(number)?)
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

/// A login attempt that was admitted to check its password.
struct Attempt<'a> {
    username: &'a Username,
    bucket: i64,
    claim: u64,
    /// The bucket's throttle keys, when this attempt opened the bucket and
    /// so registers them for deletion.
    bucket_keys: Vec<String>,
}

/// Times clients see are whole seconds; sub-second digits say nothing to them.
fn whole_seconds(time: Timestamp) -> Timestamp {
    Timestamp::from_unix_seconds(time.unix_seconds())
}

fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("records serialize")
}

fn decode<T: DeserializeOwned>(key: &str, bytes: Option<&[u8]>) -> Result<Option<T>, Unexpected> {
    bytes
        .map(|bytes| serde_json::from_slice(bytes).map_err(|error| Unexpected::corrupt(key, error)))
        .transpose()
}
