//! What the store keeps about users and tokens, and what operations return.

use domain_core::Timestamp;
use serde::{Deserialize, Serialize};

/// `user:{username}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    pub user_id: String,
    pub username: String,
    pub email: Option<String>,
    pub created_at: Timestamp,
    /// argon2id PHC string.
    pub password_hash: String,
}

impl UserRecord {
    pub fn profile(&self) -> UserProfile {
        UserProfile {
            user_id: self.user_id.clone(),
            username: self.username.clone(),
            email: self.email.clone(),
            created_at: self.created_at,
        }
    }
}

/// A user as clients may see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserProfile {
    pub user_id: String,
    pub username: String,
    pub email: Option<String>,
    pub created_at: Timestamp,
}

/// `token:{digest}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TokenRecord {
    pub user_id: String,
    pub username: String,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    #[serde(default)]
    pub revoked_at: Option<Timestamp>,
    /// The rest of the user's profile, copied at login so that `me` (which
    /// the other services call for every bearer request) reads this one
    /// key. No request changes or removes a user, so the copy stays the
    /// user's profile. Absent in tokens issued before it was added: `me`
    /// then reads the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<TokenProfile>,
}

/// The part of a [`UserProfile`] a token record does not already hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TokenProfile {
    pub email: Option<String>,
    pub created_at: Timestamp,
}

impl TokenRecord {
    pub fn is_valid_at(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// A freshly issued bearer token. The token itself exists only here and in
/// the response; the store keeps its digest.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub token: String,
    pub user_id: String,
    pub expires_in: i64,
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token", &"***")
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}
