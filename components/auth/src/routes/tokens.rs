//! `POST /auth/login` and `POST /auth/logout`.

use spin_edge::openapi::{BearerErrors, BodyErrors, UnexpectedError, UnreadBodyErrors};
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_edge::{ErrorResponse, HttpResponse, params};
use spin_sdk::http::{Params, Request};

use crate::service;
use crate::wire::{LoginRequest, TokenResponse};

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
        (status = 401, description = "`invalid_credentials`: unknown user or wrong password, indistinguishably.", body = ErrorResponse),
        (status = 422, description = "`validation_failed`: `username` or `password` missing or not a string, or the body not a JSON object (`body`).", body = ErrorResponse),
        (status = 429, description = "`too_many_attempts`: locked after 5 failures, or over the allowance of 5 checks in 15 minutes.", body = ErrorResponse,
            headers(("Retry-After" = u64, description = "Seconds until 15 minutes after the newest failure; 1 while a check is still running (it may end in a lock or a sign-in: ask again), or for an attempt that raced a sign-in."))),
        BodyErrors,
        UnexpectedError,
    )
)]
pub fn login(context: &RequestContext, request: Request, _: Params) -> HandlerResult {
    let body: LoginRequest = params::json(&request)?;
    let issued = service::write(context, service::login_settings(context)?, |auth| {
        auth.login(&body.username, &body.password)
    })?;
    Ok(HttpResponse::json(200, &TokenResponse::from(issued)))
}

/// Revokes the bearer token: from then on it gets `401` everywhere. No body
/// is read. Side effect: analytics event `logout`, once per token however
/// many logouts of it arrive at once (each gets `204`, or `401` once
/// another has revoked the token).
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out; the token is revoked."),
        BearerErrors,
        UnreadBodyErrors,
        UnexpectedError,
    )
)]
pub fn logout(context: &RequestContext, request: Request, _: Params) -> HandlerResult {
    let token = service::bearer(&request)?;
    service::write(context, service::write_settings(context), |auth| {
        auth.logout(token)
    })?;
    Ok(HttpResponse::empty(204))
}
