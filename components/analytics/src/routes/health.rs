//! `GET /analytics/health`.

use spin_edge::serve::{HandlerResult, RequestContext};
use spin_sdk::http::{Params, Request};

/// Service health; the check reads the analytics key-value store.
///
/// Answers within 2 s whatever the store does: the store is read by the
/// internal route `/analytics/health/kv` in another instance, and a store that
/// does not answer within 1.2 s is a failed `kv` check (`503`).
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
    spin_edge::health::health(context)
}

/// The store check behind health (internal key): writes one small key to the
/// key-value store and answers the health report, `503` naming `kv` when the store fails.
/// Health calls it in another instance of this component and waits at most
/// 1.2 s, because a key-value call that hangs cannot be interrupted.
#[utoipa::path(
    get,
    path = "/analytics/health/kv",
    tag = "health",
    security(("internal_key" = [])),
    responses(
        (status = 200, description = "The store accepted the write.", body = crate::wire::Health),
        (status = 401, description = "`unauthorized`: missing or wrong `X-Internal-Key`.", body = spin_edge::ErrorResponse),
        (status = 503, description = "The store failed; `checks.kv` is `failed`.", body = crate::wire::Health),
    )
)]
pub fn probe(context: &RequestContext, request: Request, _: Params) -> HandlerResult {
    spin_edge::health::probe(context, &request, super::STORE)
}
