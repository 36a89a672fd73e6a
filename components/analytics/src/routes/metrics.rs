//! `GET /analytics/metrics/actions` and
//! `GET /analytics/metrics/user/{user_id}/actions`.

use crate::service;
use crate::wire::{ActionMetrics, UserActionMetrics};
use domain_core::UserId;
use spin_edge::openapi::{CallerErrors, UnexpectedError, UnreadBodyErrors};
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_edge::{ErrorResponse, HttpResponse, authenticate, params};
use spin_sdk::http::{Params, Request};

/// Events per action over all users. No credentials (a global aggregate).
///
/// Reads the action index size, its names (at most 1000) and their
/// counters, however many events or users there are: three batch reads on
/// SQLite, one key at a time on Redis (1 + 2 per action name).
#[utoipa::path(
    get,
    path = "/analytics/metrics/actions",
    tag = "metrics",
    security(()),
    responses(
        (status = 200, description = "Counts per action.", body = ActionMetrics),
        UnexpectedError, UnreadBodyErrors,
    )
)]
pub fn actions(_: &RequestContext, _: Request, _: Params) -> HandlerResult {
    let counts = service::analytics()?.action_counts()?;
    Ok(HttpResponse::json(200, &ActionMetrics::from(counts)))
}

/// One user's events per action: the internal key, or that user's own token.
/// A user without events gets zeros, not 404.
#[utoipa::path(
    get,
    path = "/analytics/metrics/user/{user_id}/actions",
    tag = "metrics",
    params(("user_id" = String, Path, description = "1–128 characters, percent-encoded in the path.")),
    security(("internal_key" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The user's counts per action.", body = UserActionMetrics),
        (status = 403, description = "`forbidden`: another user's token.", body = ErrorResponse),
        (status = 422, description = "`validation_failed`: `user_id` is not 1–128 characters of percent-encoded UTF-8.", body = ErrorResponse),
        CallerErrors,
        UnexpectedError, UnreadBodyErrors,
    )
)]
pub fn user_actions(context: &RequestContext, request: Request, params: Params) -> HandlerResult {
    let caller = authenticate(context, &request)?;
    let user = params::path(&params, "user_id", UserId::parse)?;
    caller.require_access_to(&user)?;
    let counts = service::analytics()?.user_counts(&user)?;
    Ok(HttpResponse::json(
        200,
        &UserActionMetrics::new(user, counts),
    ))
}
