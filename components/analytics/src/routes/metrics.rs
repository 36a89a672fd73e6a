//! `GET /analytics/metrics/actions` and
//! `GET /analytics/metrics/user/{user_id}/actions`.

use super::{analytics, sender};
use crate::wire::{ActionMetrics, UserActionMetrics};
use analytics_domain::UserId;
use spin_edge::ErrorResponse;
use spin_edge::params::path;
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_edge::{ApiError, HttpResponse};
use spin_sdk::http::{Params, Request};

/// Events per action over all users. No credentials (a global aggregate).
///
/// Reads three times, however many events or users there are: the action
/// index size, its names (at most 1000), their counters.
#[utoipa::path(
    get,
    path = "/analytics/metrics/actions",
    tag = "metrics",
    security(()),
    responses(
        (status = 200, description = "Counts per action.", body = ActionMetrics),
        (status = 500, description = "Unexpected failure (e.g. the store).", body = ErrorResponse),
    )
)]
pub fn actions(context: &RequestContext, _: Request, _: Params) -> HandlerResult {
    let counts = analytics(context)?
        .action_counts()
        .map_err(|cause| ApiError::unexpected(cause))?;
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
        (status = 401, description = "Missing or invalid credentials.", body = ErrorResponse,
            headers(("www-authenticate" = String, description = "`Bearer`, unless a wrong internal key was sent."))),
        (status = 403, description = "Another user's token.", body = ErrorResponse),
        (status = 422, description = "`user_id` is not 1–128 characters of percent-encoded UTF-8.", body = ErrorResponse),
        (status = 500, description = "Unexpected failure (e.g. the store).", body = ErrorResponse),
        (status = 503, description = "A bearer token could not be verified right now.", body = ErrorResponse),
    )
)]
pub fn user_actions(context: &RequestContext, request: Request, params: Params) -> HandlerResult {
    let sender = sender(context, &request)?;
    let user = path_user(&params)?;
    if !sender.may_read(&user) {
        return Err(ApiError::forbidden());
    }
    let counts = analytics(context)?
        .user_counts(&user)
        .map_err(|cause| ApiError::unexpected(cause))?;
    Ok(HttpResponse::json(
        200,
        &UserActionMetrics::new(&user, counts),
    ))
}

fn path_user(params: &Params) -> Result<UserId, ApiError> {
    path(params, "user_id", UserId::parse)
}
