//! The user as clients see it, shared by register and me.

use auth_domain::UserProfile;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    /// UUID v4.
    #[schema(example = "0b7f1b9e-3c1a-4d0e-9c55-2f0f6f1d2a10")]
    user_id: String,
    /// Lower-cased.
    #[schema(example = "alice")]
    username: String,
    #[schema(example = "alice@example.com")]
    email: Option<String>,
    /// RFC 3339, UTC.
    #[schema(example = "2026-11-24T19:20:00Z")]
    created_at: String,
}

impl From<UserProfile> for UserResponse {
    fn from(profile: UserProfile) -> Self {
        Self {
            user_id: profile.user_id,
            username: profile.username,
            email: profile.email,
            created_at: profile.created_at.to_rfc3339(),
        }
    }
}
