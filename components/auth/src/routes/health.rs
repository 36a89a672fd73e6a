//! `GET /auth/health`.

use spin_kit::openapi::ErrorResponse;
use spin_kit::serve::{HandlerResult, RequestContext};
use spin_sdk::http::{Params, Request};

use crate::service::STORE;

/// Whether the service can read its key-value store. No credentials. Kept
/// cheap for probes: it does no outbox work.
#[utoipa::path(
    get,
    path = "/auth/health",
    tag = "health",
    responses(
        (status = 200, description = "`{\"status\": \"ok\", \"service\": \"auth\", \"version\": \"…\", \"checks\": {\"kv\": \"ok\"}}`"),
        (status = 503, description = "`status` is `unavailable` and the failing check is named.", body = ErrorResponse),
    )
)]
pub fn health(context: &RequestContext, _: Request, _: Params) -> HandlerResult {
    spin_kit::health::health(context, STORE)
}
