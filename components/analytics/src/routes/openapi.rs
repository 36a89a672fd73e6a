//! `GET /analytics/openapi.json`: the service's OpenAPI 3 document.

use crate::wire;
use spin_kit::openapi::{ErrorResponse, SecuritySchemes, serve_document};
use spin_kit::serve::{HandlerResult, RequestContext};
use spin_sdk::http::{Params, Request};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Analytics service",
        description = "Records user events exactly once per `event_id` and serves counts per action. \
            Errors share one shape (`ErrorResponse`). Unknown paths under `/analytics` get `404 not_found`; \
            a known path with another method gets `405 method_not_allowed` with `Allow`. \
            Every response carries `X-Request-Id`. At most 1000 distinct action names are tracked."
    ),
    paths(
        super::events::record,
        super::metrics::actions,
        super::metrics::user_actions,
        super::health::health,
        document,
    ),
    components(schemas(
        ErrorResponse,
        wire::EventBody,
        wire::EventAccepted,
        wire::EventStatus,
        wire::ActionMetrics,
        wire::UserActionMetrics,
        wire::Health,
    )),
    modifiers(&SecuritySchemes),
    tags(
        (name = "events", description = "Recording events."),
        (name = "metrics", description = "Counts per action."),
        (name = "health", description = "Liveness of the service and its store."),
        (name = "docs", description = "This document."),
    )
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(
    get,
    path = "/analytics/openapi.json",
    tag = "docs",
    security(()),
    responses((status = 200, description = "The OpenAPI 3 document.", content_type = "application/json"))
)]
pub fn document(_: &RequestContext, _: Request, _: Params) -> HandlerResult {
    serve_document(&ApiDoc::openapi())
}
