//! The JSON the auth service reads and writes: request bodies hold domain
//! types once read, responses are built from what the domain returns.

use auth_domain::{
    DeadLetter, DeadLetterPage, Email, FlushReport, IssuedToken, Password, Registration,
    SideEffect, UserProfile, Username,
};
use serde::Serialize;
use spin_edge::{FieldReader, FromFields};
use utoipa::ToSchema;

/// A new account.
#[derive(ToSchema)]
pub struct RegisterRequest {
    /// 3–32 characters after lower-casing, `^[a-z0-9][a-z0-9._-]*$`; unique
    /// case-insensitively.
    #[schema(value_type = String, example = "alice", min_length = 3, max_length = 32)]
    username: Username,
    /// 8–128 characters, not only whitespace, not a commonly used password.
    #[schema(
        value_type = String,
        example = "correct horse battery staple",
        min_length = 8,
        max_length = 128
    )]
    password: Password,
    /// At most 254 characters, one `@` with text on both sides, no spaces or
    /// control characters.
    #[schema(value_type = Option<String>, example = "alice@example.com", max_length = 254)]
    email: Option<Email>,
}

impl FromFields for RegisterRequest {
    fn from_fields(fields: &mut FieldReader) -> Option<Self> {
        let username = fields.required_with("username", |raw: String| Username::parse(raw));
        // A password that could not be checked (the common-password table
        // is missing) makes the body a 500, whatever else it breaks.
        let password = fields.required_checked("password", |raw: String| Password::parse(raw));
        let email = fields.optional_with("email", |raw: String| Email::parse(raw));
        Some(Self {
            username: username?,
            password: password?,
            email: email?,
        })
    }
}

impl From<RegisterRequest> for Registration {
    fn from(request: RegisterRequest) -> Self {
        Self {
            username: request.username,
            password: request.password,
            email: request.email,
        }
    }
}

/// Credentials to check. Any strings: a name no account can have fails
/// like a wrong password.
#[derive(ToSchema)]
pub struct LoginRequest {
    /// Case-insensitive.
    #[schema(example = "alice")]
    pub username: String,
    #[schema(example = "correct horse battery staple")]
    pub password: String,
}

impl FromFields for LoginRequest {
    fn from_fields(fields: &mut FieldReader) -> Option<Self> {
        let username = fields.required("username");
        let password = fields.required("password");
        Some(Self {
            username: username?,
            password: password?,
        })
    }
}

/// The user as clients see it.
#[derive(Serialize, ToSchema)]
pub struct UserResponse {
    /// UUID v4.
    #[schema(example = "0b7f1b9e-3c1a-4d0e-9c55-2f0f6f1d2a10")]
    user_id: String,
    /// Lower-cased.
    #[schema(example = "alice")]
    username: String,
    /// `null` when the user gave none; always present.
    #[schema(required = true, example = "alice@example.com")]
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

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// A random UUID v4; only its SHA-256 digest is stored.
    #[schema(example = "5f2b8a4e-0c3d-4f7a-9b1e-6d8c2a7e4f10")]
    token: String,
    #[schema(example = "Bearer")]
    token_type: &'static str,
    /// Seconds: the application variable `token_ttl_seconds` (default 3600).
    /// The token lives at least this long.
    #[schema(example = 3600)]
    expires_in: i64,
    /// RFC 3339, UTC: `expires_in` after the login, rounded up to the
    /// second. The token is accepted until this moment and refused from it on.
    #[schema(example = "2026-11-24T20:20:00Z")]
    expires_at: String,
    user_id: String,
}

impl From<IssuedToken> for TokenResponse {
    fn from(issued: IssuedToken) -> Self {
        Self {
            token: issued.token,
            token_type: "Bearer",
            expires_in: issued.expires_in,
            expires_at: issued.expires_at.to_rfc3339(),
            user_id: issued.user_id,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct FlushResponse {
    /// Entries delivered (or already known to their receiver) by this call.
    delivered: u64,
    /// Entries moved to the dead-letter list by this call: their receiver
    /// answered `400` or `422`.
    dead_lettered: u64,
    /// Entries still waiting. Exact when `complete`; otherwise the entries
    /// seen plus every sequence number not looked at (an upper bound).
    pending: u64,
    /// Whether the whole backlog was looked at within the time budget.
    complete: bool,
    /// Dead letters waiting for an operator (`GET /auth/outbox/dead-letters`).
    dead_letters: u64,
    /// Expired keys (throttle buckets, expired tokens) deleted by this call.
    expired_deleted: u64,
}

impl From<FlushReport> for FlushResponse {
    fn from(report: FlushReport) -> Self {
        Self {
            delivered: report.delivered,
            dead_lettered: report.dead_lettered,
            pending: report.pending,
            complete: report.complete,
            dead_letters: report.dead_letters,
            expired_deleted: report.expired_deleted,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeadLettersResponse {
    /// Dead letters not replayed, in all.
    waiting: u64,
    /// Newest first; one page looks at no more than 1,000 numbers.
    dead_letters: Vec<DeadLetterView>,
    /// Pass as `before` for the next page; absent when no older letter can
    /// exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 17)]
    next_before: Option<u64>,
}

impl From<DeadLetterPage> for DeadLettersResponse {
    fn from(page: DeadLetterPage) -> Self {
        Self {
            waiting: page.waiting,
            dead_letters: page.letters.into_iter().map(Into::into).collect(),
            next_before: page.next_before,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeadLetterView {
    /// What to replay it by.
    #[schema(example = 3)]
    number: u64,
    /// `analytics` or `notification`.
    #[schema(example = "analytics")]
    target: &'static str,
    /// The side effect's stable id (`event_id` or `Idempotency-Key`); a
    /// replay keeps it, so the receiver still deduplicates.
    delivery_id: String,
    user_id: String,
    /// The event's action, or the notification's subject.
    #[schema(example = "login")]
    what: String,
    /// The receiver's status (`400` or `422`) and the start of its answer.
    #[schema(example = 422)]
    status: u16,
    answer: String,
    /// RFC 3339, UTC: when the side effect was staged.
    created_at: String,
    dead_lettered_at: String,
}

impl From<DeadLetter> for DeadLetterView {
    fn from(letter: DeadLetter) -> Self {
        let effect = &letter.entry.effect;
        let what = match effect {
            SideEffect::Event { action, .. } => action.clone(),
            SideEffect::Notification { subject, .. } => subject.clone(),
        };
        Self {
            number: letter.number,
            target: effect.target(),
            delivery_id: effect.id().to_owned(),
            user_id: effect.user_id().to_owned(),
            what,
            status: letter.status,
            answer: letter.answer,
            created_at: letter.entry.created_at.to_rfc3339(),
            dead_lettered_at: letter.dead_lettered_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ReplayResponse {
    /// The dead letter replayed (now gone from the list).
    pub replayed: u64,
    /// Its new outbox sequence number: the next sweep or flush delivers it.
    pub outbox_seq: u64,
}
