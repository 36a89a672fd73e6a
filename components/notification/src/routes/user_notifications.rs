use crate::service;
use crate::wire::{NotificationList, NotificationView};
use notification_domain::{Limit, UserId};
use spin_edge::ErrorResponse;
use spin_edge::authenticate;
use spin_edge::params::{path, query};
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_edge::{ApiError, HttpResponse};
use spin_sdk::http::{Params, Request};

/// List a user's notifications, newest first.
///
/// With the internal key, or the user's own bearer token. Only the user's
/// newest 100 notifications are listed (older ones stay readable by id); a
/// user without notifications gets an empty list.
#[utoipa::path(
    get,
    path = "/notification/users/{user_id}/notifications",
    tag = "notification",
    security(("internal_key" = []), ("bearer" = [])),
    params(
        ("user_id" = String, Path, description = "The user's id (1–128 characters)."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "How many, 1–100; default 20."),
    ),
    responses(
        (status = 200, description = "The newest notifications first.", body = NotificationList),
        (status = 401, description = "`unauthorized`: no valid credentials (`WWW-Authenticate: Bearer` when no internal key was sent).", body = ErrorResponse,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "`forbidden`: a bearer token of another user.", body = ErrorResponse),
        (status = 404, description = "`not_found`: the path names no possible user id (over 128 characters or badly escaped).", body = ErrorResponse),
        (status = 422, description = "`validation_failed`: `limit` is not an integer from 1 to 100.", body = ErrorResponse),
        (status = 500, description = "`internal_error`.", body = ErrorResponse),
        (status = 503, description = "`auth_unavailable`: the bearer token could not be checked right now.", body = ErrorResponse),
    )
)]
pub fn user_notifications(
    context: &RequestContext,
    request: Request,
    params: Params,
) -> HandlerResult {
    let caller = authenticate(context, &request)?;
    let user_id = path(&params, "user_id", UserId::parse)?;
    caller.require_access_to(
        &domain_core::UserId::parse(user_id.as_str()).map_err(ApiError::unexpected)?,
    )?;
    let limit = query(&request, "limit", |text| Limit::parse(&text))?.unwrap_or_default();
    let notifications = service::open(context)?
        .recent(&user_id, limit)
        .map_err(|error| ApiError::unexpected(error))?
        .into_iter()
        .map(NotificationView::from)
        .collect();
    Ok(HttpResponse::json(
        200,
        &NotificationList {
            user_id: user_id.as_str().to_owned(),
            notifications,
        },
    ))
}
