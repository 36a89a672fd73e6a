use crate::wire::Health;
use spin_kit::serve::{HandlerResult, RequestContext};
use spin_sdk::http::{Params, Request};

/// Whether the service and its key-value store answer.
#[utoipa::path(
    get,
    path = "/notification/health",
    tag = "health",
    responses(
        (status = 200, description = "The service and its store work.", body = Health),
        (status = 503, description = "A check failed (`status: unavailable`, the check named).", body = Health),
    )
)]
pub fn health(context: &RequestContext, _: Request, _: Params) -> HandlerResult {
    spin_kit::health::health(context, crate::STORE)
}
