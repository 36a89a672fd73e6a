//! `GET /analytics/health`.

use spin_kit::serve::{HandlerResult, RequestContext};
use spin_sdk::http::{Params, Request};

/// Service health; the check reads the analytics key-value store.
#[utoipa::path(
    get,
    path = "/analytics/health",
    tag = "health",
    security(()),
    responses(
        (status = 200, description = "Every check passed.", body = crate::wire::Health),
        (status = 503, description = "A check failed; `checks` names it.", body = crate::wire::Health),
    )
)]
pub fn health(context: &RequestContext, _: Request, _: Params) -> HandlerResult {
    spin_kit::health::health(context, super::STORE)
}
