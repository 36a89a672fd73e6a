//! `POST /auth/login`.

use auth_domain::LoginError;
use serde::{Deserialize, Serialize};
use spin_edge::ErrorResponse;
use spin_edge::params::json_body;
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_edge::{ApiError, HttpResponse};
use spin_sdk::http::{Params, Request};
use utoipa::ToSchema;

use crate::service::{auth_for_writes, settle_after_response};

#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct LoginRequest {
    /// Case-insensitive.
    #[schema(example = "alice")]
    username: String,
    #[schema(example = "correct horse battery staple")]
    password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// A random UUID v4; only its SHA-256 digest is stored.
    #[schema(example = "5f2b8a4e-0c3d-4f7a-9b1e-6d8c2a7e4f10")]
    token: String,
    #[schema(example = "Bearer")]
    token_type: &'static str,
    /// Seconds: the application variable `token_ttl_seconds` (default 3600).
    #[schema(example = 3600)]
    expires_in: i64,
    /// RFC 3339, UTC.
    #[schema(example = "2026-11-24T20:20:00Z")]
    expires_at: String,
    user_id: String,
}

/// Issues a bearer token. Unknown user and wrong password get the same
/// answer at the same cost. At most 5 passwords are checked per username
/// in any 15 minutes, however many attempts arrive at once: each attempt is
/// counted (an atomic increment) before its password is checked, and those
/// over the allowance get `429`. After 5 consecutive failures within 15
/// minutes, every attempt (even with the right password) gets `429` until
/// 15 minutes after the last failure; a successful login resets the count.
/// Side effects, stored before the answer and delivered after it: analytics
/// event `login` and a `login_alert` notification on success;
/// `login_failed` on every failed check, for known and unknown names alike
/// (an unknown name's event carries a pseudonymous `user_id`: `anon-`
/// followed by 32 hex digits of an HMAC-SHA-256 of the lower-cased name,
/// keyed with the internal key, which no account's UUID can equal).
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in.", body = TokenResponse),
        (status = 400, description = "`invalid_json`.", body = ErrorResponse),
        (status = 401, description = "`invalid_credentials`: unknown user or wrong password, indistinguishably.", body = ErrorResponse),
        (status = 413, description = "`payload_too_large`.", body = ErrorResponse),
        (status = 415, description = "`unsupported_media_type`.", body = ErrorResponse),
        (status = 422, description = "`validation_failed`: `username` or `password` missing or not a string.", body = ErrorResponse),
        (status = 429, description = "`too_many_attempts`: locked after 5 failures, or over the allowance of 5 checks in 15 minutes.", body = ErrorResponse,
            headers(("Retry-After" = u64, description = "Seconds until 15 minutes after the last failure (900 when checks are still running)."))),
        (status = 500, description = "`internal_error`.", body = ErrorResponse),
    )
)]
pub fn login(context: &RequestContext, request: Request, _: Params) -> HandlerResult {
    let mut body = json_body(&request)?;
    let username = body.required::<String>("username");
    let password = body.required::<String>("password");
    body.finish()?;
    let (Some(username), Some(password)) = (username, password) else {
        return Err(ApiError::unexpected("a field was accepted without a value"));
    };
    let auth = auth_for_writes(context)?;
    let (result, after) = auth.login(&username, &password);
    settle_after_response(context, auth, after);
    match result {
        Ok(issued) => Ok(HttpResponse::json(
            200,
            &TokenResponse {
                token: issued.token,
                token_type: "Bearer",
                expires_in: issued.expires_in,
                expires_at: issued.expires_at.to_rfc3339(),
                user_id: issued.user_id,
            },
        )),
        Err(LoginError::InvalidCredentials) => Err(ApiError::new(
            401,
            "invalid_credentials",
            "The username or password is wrong.",
        )),
        Err(LoginError::TooManyAttempts {
            retry_after_seconds,
        }) => Err(ApiError::too_many_attempts(retry_after_seconds)),
        Err(LoginError::Unexpected(cause)) => Err(super::unexpected(context, cause)),
    }
}
