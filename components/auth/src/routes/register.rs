//! `POST /auth/register`.

use auth_domain::{Email, Password, RegisterError, Registration, Username};
use serde::Deserialize;
use spin_edge::ErrorResponse;
use spin_edge::params::json_body;
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_edge::{ApiError, HttpResponse};
use spin_sdk::http::{Params, Request};
use utoipa::ToSchema;

use super::user::UserResponse;
use crate::service::{auth_for_writes, settle_after_response};

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct RegisterRequest {
    /// 3–32 characters after lower-casing, `^[a-z0-9][a-z0-9._-]*$`; unique
    /// case-insensitively.
    #[schema(example = "alice", min_length = 3, max_length = 32)]
    username: String,
    /// 8–128 characters, not only whitespace, not a commonly used password.
    #[schema(
        example = "correct horse battery staple",
        min_length = 8,
        max_length = 128
    )]
    password: String,
    /// At most 254 characters, one `@` with text on both sides.
    #[schema(example = "alice@example.com", max_length = 254)]
    email: Option<String>,
}

/// Creates an account. Exactly one of any number of concurrent
/// registrations of a name succeeds. Side effects: analytics event
/// `register` and a `welcome` notification, stored before the answer and
/// delivered after it, at least once.
#[utoipa::path(
    post,
    path = "/auth/register",
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered.", body = UserResponse),
        (status = 400, description = "`invalid_json`: the body is not JSON.", body = ErrorResponse),
        (status = 409, description = "`username_taken`: the name exists (case-insensitively).", body = ErrorResponse),
        (status = 413, description = "`payload_too_large`: the body is over 64 KiB.", body = ErrorResponse),
        (status = 415, description = "`unsupported_media_type`: the body is not `application/json`.", body = ErrorResponse),
        (status = 422, description = "`validation_failed`: one `details` entry per bad field.", body = ErrorResponse),
        (status = 500, description = "`internal_error`.", body = ErrorResponse),
    )
)]
pub fn register(context: &RequestContext, request: Request, _: Params) -> HandlerResult {
    let mut body = json_body(&request)?;
    let username = body.required_with("username", |raw: String| Username::parse(raw));
    let password = body.required_with("password", |raw: String| Password::parse(raw));
    let email = body.optional_with("email", |raw: String| Email::parse(raw));
    body.finish()?;
    let (Some(username), Some(password), Some(email)) = (username, password, email) else {
        return Err(ApiError::unexpected("a field was accepted without a value"));
    };
    let registration = Registration {
        username,
        password,
        email,
    };
    let auth = auth_for_writes(context)?;
    let (result, after) = auth.register(registration);
    settle_after_response(context, auth, after);
    match result {
        Ok(profile) => Ok(HttpResponse::json(201, &UserResponse::from(profile))),
        Err(RegisterError::UsernameTaken) => Err(ApiError::new(
            409,
            "username_taken",
            "That username is already registered.",
        )),
        Err(RegisterError::Unexpected(cause)) => Err(super::unexpected(context, cause)),
    }
}
