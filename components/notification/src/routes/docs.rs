//! The service's OpenAPI document.

use crate::wire::{
    Channel, Health, NotificationList, NotificationReceipt, NotificationView, NotifyBody, Status,
};
use spin_edge::ErrorResponse;
use spin_edge::openapi::{SecuritySchemes, serve_document};
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_sdk::http::{Params, Request};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Notification service",
        description = "Sends notifications through the `log`, `webhook`, `email` or `sms` channel, stores them, and lists each user's newest. `email` and `sms` are delivered by provider components implementing the WIT interfaces `seed:notification/email@0.1.0` and `seed:notification/sms@0.1.0` (the project's `wit/`), linked in as Spin component dependencies. Errors have the shape `{\"error\": {\"code\", \"message\", \"details\"}, \"request_id\"}`; unknown paths get `404 not_found`, known paths with another method `405 method_not_allowed` with `Allow`. Every response carries `X-Request-Id`."
    ),
    paths(
        super::health::health,
        super::health::probe,
        super::notify::notify,
        super::notification::notification,
        super::user_notifications::user_notifications,
        openapi,
    ),
    components(schemas(
        ErrorResponse, NotifyBody, NotificationReceipt, NotificationView, NotificationList,
        Channel, Status, Health
    )),
    modifiers(&SecuritySchemes),
    tags(
        (name = "notification", description = "Sending and reading notifications."),
        (name = "health", description = "Liveness and store check."),
        (name = "docs", description = "This document."),
    )
)]
pub struct ApiDoc;

/// This OpenAPI document.
#[utoipa::path(
    get,
    path = "/notification/openapi.json",
    tag = "docs",
    responses((status = 200, description = "The OpenAPI 3 document of the notification service.", content_type = "application/json", body = Object))
)]
pub fn openapi(_: &RequestContext, _: Request, _: Params) -> HandlerResult {
    let mut document = ApiDoc::openapi();
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    serve_document(&document)
}
