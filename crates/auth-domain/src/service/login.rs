//! Login: the throttle's claim, the password check, and what each outcome
//! writes.

use domain_core::sha256_hex;
use domain_core::{Clock, KeyValueStore, Pause, StoreError, Timestamp, system_actions};
use serde_json::json;

use super::{AfterResponse, AuthService, decode, to_json, whole_seconds, whole_seconds_up};
use crate::error::LoginError;
use crate::expiry;
use crate::hashing::PasswordHasher;
use crate::keyed_ids::pseudonymous_user_id;
use crate::keys;
use crate::outbox::{DeliveryPort, SideEffect, Staged};
use crate::records::{IssuedToken, TokenProfile, TokenRecord, UserRecord};
use crate::throttle::{self, Admission, ThrottleView};
use crate::username::Username;

/// How much of a name no account can have its `login_failed` event shows:
/// a name is at most 32 characters, so this shows what it was meant to be.
const IMPOSSIBLE_NAME_SHOWN: usize = 64;

impl<S, H, C, P, D> AuthService<S, H, C, P, D>
where
    S: KeyValueStore,
    H: PasswordHasher,
    C: Clock,
    P: Pause,
    D: DeliveryPort,
{
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
            Admission::Check { .. } => {
                self.admit_beside_neighbours(username, bucket, &view, claim, now)
            }
            refused => Ok(refused),
        };
        let admission = match admission {
            Ok(admission) => admission,
            Err(error) => {
                // No password was checked.
                self.give_back(&claims_key, bucket, bucket_keys.as_deref())?;
                return Err(error.into());
            }
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

    /// The throttle's verdict on an admitted `claim` once the buckets either
    /// side are read: attempts whose clocks put them there may have claimed
    /// since the view was read, unseen by it, and would not have seen this
    /// claim either; read after claiming, of any two such attempts at least
    /// one sees the other.
    fn admit_beside_neighbours(
        &self,
        username: &Username,
        bucket: i64,
        view: &ThrottleView,
        claim: u64,
        now: Timestamp,
    ) -> Result<Admission, StoreError> {
        let counts = self
            .store
            .counters(&throttle::Neighbours::keys(username, bucket))?;
        let neighbours = throttle::Neighbours::from_counts(&counts);
        Ok(view.admit_after_claim(claim, now, neighbours))
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
        let issued = self.clock.now();
        let now = whole_seconds(issued);
        // Rounded up, not down: clients see the expiry to the second, and
        // the token must live at least the `expires_in` they are told,
        // until exactly the `expires_at` they are told.
        let expires_at =
            whole_seconds_up(issued.plus_seconds(self.settings.token_lifetime.seconds()));
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
        let outbox = self.stage_for_user(
            user,
            system_actions::LOGIN,
            now,
            "login_alert",
            "New sign-in",
            format!("New sign-in to your account {} at {now}.", user.username),
        )?;
        // The token's keys go once it has expired; the bucket's throttle
        // keys (if this attempt opened the bucket) ride along, as they
        // matter for a shorter time.
        let mut expiring = vec![keys::token(&digest)];
        expiring.extend(attempt.bucket_keys.iter().cloned());
        let due = expiry::due_bucket_after(expires_at).max(throttle::expiry_due(attempt.bucket));
        let mut writes = vec![
            (keys::token(&digest), to_json(&record)),
            expiry::register(&self.store, due, &expiring)?,
        ];
        writes.extend(throttle::reset(
            attempt.username,
            attempt.bucket,
            attempt.claim,
        ));
        self.write_with_outbox(writes, outbox, true, after)?;
        Ok(IssuedToken {
            token,
            user_id: user.user_id.clone(),
            expires_in: self.settings.token_lifetime.seconds(),
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
