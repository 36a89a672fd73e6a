//! `GET /auth/health`.

use serde::Serialize;
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_sdk::http::{Params, Request};
use utoipa::ToSchema;

use crate::service::STORE;

/// The health report (documentation only: `spin_edge::health` renders it).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct HealthResponse {
    /// `ok`, or `unavailable` when a check failed.
    #[schema(example = "ok")]
    status: String,
    #[schema(example = "auth")]
    service: String,
    #[schema(example = "0.1.0")]
    version: String,
    /// Each check and its verdict, `ok` or `failed`.
    #[schema(example = json!({"kv": "ok"}))]
    checks: std::collections::BTreeMap<String, String>,
}

/// Whether the service can read its key-value store. No credentials. Kept
/// cheap for probes: it does no outbox work.
///
/// Answers within 2 s whatever the store does: the store is read by the
/// internal route `/auth/health/kv` in another instance, and a store that
/// does not answer within 1.2 s is a failed `kv` check (`503`).
#[utoipa::path(
    get,
    path = "/auth/health",
    tag = "health",
    responses(
        (status = 200, description = "Every check passed.", body = HealthResponse),
        (status = 503, description = "`status` is `unavailable`; the failing check says `failed`.", body = HealthResponse),
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
    path = "/auth/health/kv",
    tag = "health",
    security(("internal_key" = [])),
    responses(
        (status = 200, description = "The store accepted the write.", body = HealthResponse),
        (status = 401, description = "`unauthorized`: missing or wrong `X-Internal-Key`.", body = spin_edge::ErrorResponse),
        (status = 503, description = "The store failed; `checks.kv` is `failed`.", body = HealthResponse),
    )
)]
pub fn probe(context: &RequestContext, request: Request, _: Params) -> HandlerResult {
    spin_edge::health::probe(context, &request, STORE)
}
