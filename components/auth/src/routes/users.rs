//! `POST /auth/register` and `GET /auth/me`.

use spin_edge::openapi::{BearerErrors, BodyErrors, UnexpectedError, UnreadBodyErrors};
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_edge::{ErrorResponse, HttpResponse, params};
use spin_sdk::http::{Params, Request};

use crate::service;
use crate::wire::{RegisterRequest, UserResponse};

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
        (status = 409, description = "`username_taken`: the name exists (case-insensitively).", body = ErrorResponse),
        (status = 422, description = "`validation_failed`: one `details` entry per bad field, or one naming `body` when it is not a JSON object.", body = ErrorResponse),
        BodyErrors,
        UnexpectedError,
    )
)]
pub fn register(context: &RequestContext, request: Request, _: Params) -> HandlerResult {
    let body: RegisterRequest = params::json(&request)?;
    let profile = service::write(context, service::write_settings(context), |auth| {
        auth.register(body.into())
    })?;
    Ok(HttpResponse::json(201, &UserResponse::from(profile)))
}

/// The bearer token's user. The other services verify tokens here. Reads
/// only: no outbox work, whatever the token.
#[utoipa::path(
    get,
    path = "/auth/me",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The token's user.", body = UserResponse),
        BearerErrors,
        UnexpectedError, UnreadBodyErrors,
    )
)]
pub fn me(context: &RequestContext, request: Request, _: Params) -> HandlerResult {
    let token = service::bearer(&request)?;
    let profile = service::auth(context)?.me(token)?;
    Ok(HttpResponse::json(200, &UserResponse::from(profile)))
}
