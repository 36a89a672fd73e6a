use crate::service;
use crate::wire::NotificationView;
use notification_domain::NotificationId;
use spin_edge::ErrorResponse;
use spin_edge::require_internal_key;
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_edge::{ApiError, HttpResponse};
use spin_sdk::http::{Params, Request};

/// Read one notification.
#[utoipa::path(
    get,
    path = "/notification/notifications/{notification_id}",
    tag = "notification",
    security(("internal_key" = [])),
    params(("notification_id" = String, Path, format = Uuid, description = "As returned by notify.")),
    responses(
        (status = 200, description = "The stored notification and its delivery outcome.", body = NotificationView),
        (status = 401, description = "`unauthorized`: missing or wrong `X-Internal-Key`.", body = ErrorResponse),
        (status = 404, description = "`not_found`: no notification has this id.", body = ErrorResponse),
        (status = 500, description = "`internal_error`.", body = ErrorResponse),
    )
)]
pub fn notification(context: &RequestContext, request: Request, params: Params) -> HandlerResult {
    require_internal_key(&request)?;
    let id = params
        .get("notification_id")
        .and_then(NotificationId::parse)
        .ok_or_else(ApiError::not_found)?;
    let record = service::open(context)?
        .get(&id)
        .map_err(|error| ApiError::unexpected(error))?
        .ok_or_else(ApiError::not_found)?;
    Ok(HttpResponse::json(200, &NotificationView::from(record)))
}
