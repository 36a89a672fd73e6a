//! The auth service: register, login, logout and token checks over its
//! ports. Every operation ends with one outbox round, which delivers the
//! operation's own side effects and a few older ones still pending.

use serde::de::DeserializeOwned;
use serde_json::json;
use service_kit::credentials::token_digest;
use service_kit::{Clock, KeyValueStore, Timestamp};

use crate::email::Email;
use crate::error::{LoginError, RegisterError, TokenError, Unexpected};
use crate::hashing::PasswordHasher;
use crate::keys;
use crate::outbox::{Delivery, DeliveryPort, FlushReport, Outbox, OutboxSettings, Staged};
use crate::password::Password;
use crate::records::{IssuedToken, TokenRecord, UserProfile, UserRecord};
use crate::throttle::{self, ThrottleState};
use crate::username::Username;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Lifetime of a bearer token.
    pub token_ttl_seconds: i64,
    pub outbox: OutboxSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            token_ttl_seconds: 3600,
            outbox: OutboxSettings::default(),
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

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn clock(&self) -> &C {
        &self.clock
    }

    pub fn hasher(&self) -> &H {
        &self.hasher
    }

    pub fn delivery(&self) -> &D {
        &self.delivery
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    fn outbox(&self) -> Outbox<'_, S, C, D> {
        Outbox {
            store: &self.store,
            clock: &self.clock,
            delivery: &self.delivery,
            settings: &self.settings.outbox,
        }
    }

    /// Runs `operation`, then one outbox round with whatever it staged.
    fn with_outbox<T, E>(
        &self,
        operation: impl FnOnce(&mut Staged) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut staged = Staged::default();
        let result = operation(&mut staged);
        self.outbox().settle(&staged);
        result
    }

    /// Creates the user. Exactly one of any number of concurrent
    /// registrations of a name succeeds: the one whose increment of the
    /// name's claim counter returns 1. The password is hashed before the
    /// claim, so the claim and the user record are only microseconds apart.
    pub fn register(&self, registration: Registration) -> Result<UserProfile, RegisterError> {
        self.with_outbox(|staged| self.try_register(registration, staged))
    }

    fn try_register(
        &self,
        registration: Registration,
        staged: &mut Staged,
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
        let outbox = self.outbox().stage(
            vec![
                Delivery::event(
                    &user.user_id,
                    "register",
                    now,
                    json!({"username": user.username}),
                ),
                Delivery::notification(
                    &user.user_id,
                    "Welcome",
                    format!("Welcome, {}! Your account is ready.", user.username),
                )
                .to_email(user.email.as_deref()),
            ],
            false,
        )?;
        let claim_key = keys::username_claim(&username);
        if self.store.increment(&claim_key, 1)? != 1 {
            return Err(RegisterError::UsernameTaken);
        }
        let mut writes = vec![(user_key, to_json(&user))];
        writes.extend(outbox.writes());
        if let Err(error) = self.store.set_many(&writes) {
            // Give the name back so that a retry can have it. If this fails
            // too, the name stays claimed without a user (see the crate docs).
            if let Err(release) = self.store.delete(&claim_key) {
                self.delivery
                    .note("username_claim_stuck", &format!("{claim_key}: {release}"));
            }
            return Err(error.into());
        }
        *staged = outbox;
        Ok(user.profile())
    }

    /// Checks the credentials and issues a token. Unknown users and wrong
    /// passwords cost the same: one argon2 verification (against a dummy
    /// hash for unknown users), the same reads and the same writes, and no
    /// delivery attempt of their own.
    pub fn login(&self, username: &str, password: &str) -> Result<IssuedToken, LoginError> {
        self.with_outbox(|staged| self.try_login(username, password, staged))
    }

    fn try_login(
        &self,
        username: &str,
        password: &str,
        staged: &mut Staged,
    ) -> Result<IssuedToken, LoginError> {
        let Ok(username) = Username::parse(username) else {
            // No such name can exist; nothing to count it against.
            self.hasher.verify_dummy(password);
            return Err(LoginError::InvalidCredentials);
        };
        let user_key = keys::user(&username);
        let throttle_keys = ThrottleState::keys(&username);
        let mut read = vec![user_key.clone()];
        read.extend(throttle_keys.iter().cloned());
        let values = self.store.get_many(&read)?;
        let user: Option<UserRecord> = decode(&user_key, values[0].as_deref())?;
        let throttle = ThrottleState::decode(&throttle_keys, &values[1..])?;

        if let Some(retry_after_seconds) = throttle.retry_after(self.clock.now()) {
            return Err(LoginError::TooManyAttempts {
                retry_after_seconds,
            });
        }
        let verified = match &user {
            Some(user) => self.hasher.verify(password, &user.password_hash)?,
            None => {
                self.hasher.verify_dummy(password);
                false
            }
        };
        match user {
            Some(user) if verified => self.issue_token(&username, &user, &throttle, staged),
            user => {
                self.record_failure(&username, user.as_ref(), staged)?;
                Err(LoginError::InvalidCredentials)
            }
        }
    }

    fn issue_token(
        &self,
        username: &Username,
        user: &UserRecord,
        throttle: &ThrottleState,
        staged: &mut Staged,
    ) -> Result<IssuedToken, LoginError> {
        let token = uuid::Uuid::new_v4().to_string();
        let now = whole_seconds(self.clock.now());
        let expires_at = now.plus_seconds(self.settings.token_ttl_seconds);
        let record = TokenRecord {
            user_id: user.user_id.clone(),
            username: user.username.clone(),
            issued_at: now,
            expires_at,
            revoked_at: None,
        };
        let outbox = self.outbox().stage(
            vec![
                Delivery::event(
                    &user.user_id,
                    "login",
                    now,
                    json!({"username": user.username}),
                ),
                Delivery::notification(
                    &user.user_id,
                    "New sign-in",
                    format!("New sign-in to your account {} at {now}.", user.username),
                )
                .to_email(user.email.as_deref()),
            ],
            false,
        )?;
        let mut writes = vec![(keys::token(&token_digest(&token)), to_json(&record))];
        writes.extend(throttle::reset(username, throttle));
        writes.extend(outbox.writes());
        self.store.set_many(&writes)?;
        *staged = outbox;
        Ok(IssuedToken {
            token,
            user_id: user.user_id.clone(),
            expires_in: self.settings.token_ttl_seconds,
            expires_at,
        })
    }

    /// Counts the failure exactly (atomic increment) and records when it
    /// happened. A known user's `login_failed` event is deferred to a later
    /// request's sweep; an unknown user reserves an outbox number instead, so
    /// both do the same store work.
    fn record_failure(
        &self,
        username: &Username,
        user: Option<&UserRecord>,
        staged: &mut Staged,
    ) -> Result<(), LoginError> {
        let n = self.store.increment(&keys::login_failures(username), 1)?;
        let now = self.clock.now();
        let mut writes = vec![throttle::failure_mark(username, n.max(0) as u64, now)];
        match user {
            Some(user) => {
                let outbox = self.outbox().stage(
                    vec![Delivery::event(
                        &user.user_id,
                        "login_failed",
                        now,
                        json!({"username": user.username}),
                    )],
                    true,
                )?;
                writes.extend(outbox.writes());
                self.store.set_many(&writes)?;
                // Staged as the request's own, so its sweep leaves it alone.
                *staged = outbox;
            }
            None => {
                self.outbox().reserve_gap()?;
                self.store.set_many(&writes)?;
            }
        }
        Ok(())
    }

    /// The user a bearer token belongs to, if it is known, unexpired and not
    /// revoked.
    pub fn me(&self, token: &str) -> Result<UserProfile, TokenError> {
        self.with_outbox(|_| {
            let (_, record) = self.valid_token(token)?;
            let username = Username::parse(&record.username)
                .map_err(|error| Unexpected::corrupt(&keys::token(&token_digest(token)), error))?;
            let key = keys::user(&username);
            let user: Option<UserRecord> = decode(&key, self.store.get(&key)?.as_deref())?;
            user.map(|user| user.profile()).ok_or(TokenError::Invalid)
        })
    }

    /// Revokes the token: from now on it is invalid everywhere.
    pub fn logout(&self, token: &str) -> Result<(), TokenError> {
        self.with_outbox(|staged| {
            let (key, mut record) = self.valid_token(token)?;
            let now = self.clock.now();
            record.revoked_at = Some(now);
            let outbox = self.outbox().stage(
                vec![Delivery::event(
                    &record.user_id,
                    "logout",
                    now,
                    json!({"username": record.username}),
                )],
                false,
            )?;
            let mut writes = vec![(key, to_json(&record))];
            writes.extend(outbox.writes());
            self.store.set_many(&writes)?;
            *staged = outbox;
            Ok(())
        })
    }

    /// Delivers a batch of pending entries now, whatever their age.
    pub fn flush_outbox(&self) -> Result<FlushReport, Unexpected> {
        Ok(self.outbox().flush()?)
    }

    fn valid_token(&self, token: &str) -> Result<(String, TokenRecord), TokenError> {
        // Tokens are UUIDs; anything else cannot be one of ours.
        if uuid::Uuid::parse_str(token).is_err() {
            return Err(TokenError::Invalid);
        }
        let key = keys::token(&token_digest(token));
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

fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("records serialize")
}

fn decode<T: DeserializeOwned>(key: &str, bytes: Option<&[u8]>) -> Result<Option<T>, Unexpected> {
    bytes
        .map(|bytes| serde_json::from_slice(bytes).map_err(|error| Unexpected::corrupt(key, error)))
        .transpose()
}
