//! A user's notifications.

use crate::service;
use crate::wire::{NotificationList, NotificationView};
use domain_core::PageLimit;
use domain_core::UserId;
use spin_edge::openapi::{CallerErrors, UnexpectedError, UnreadBodyErrors};
use spin_edge::params::{path, query};
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_edge::{ErrorResponse, HttpResponse, authenticate};
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
        (status = 403, description = "`forbidden`: a bearer token of another user.", body = ErrorResponse),
        (status = 422, description = "`validation_failed`: `user_id` is not 1–128 characters, or `limit` not an integer from 1 to 100.", body = ErrorResponse),
        CallerErrors, UnexpectedError, UnreadBodyErrors,
    )
)]
pub fn user_notifications(
    context: &RequestContext,
    request: Request,
    params: Params,
) -> HandlerResult {
    let caller = authenticate(context, &request)?;
    let user_id = path(&params, "user_id", UserId::parse)?;
    caller.require_access_to(&user_id)?;
    let limit = query(&request, "limit", PageLimit::parse)?.unwrap_or_default();
    let notifications = service::open(context)?
        .recent(&user_id, limit)?
        .into_iter()
        .map(NotificationView::from)
        .collect();
    Ok(HttpResponse::json(
        200,
        &NotificationList {
            user_id,
            notifications,
        },
    ))
}
