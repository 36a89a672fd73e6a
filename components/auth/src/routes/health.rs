//! `GET /auth/health`.

use serde::Serialize;
use spin_kit::serve::{HandlerResult, RequestContext};
use spin_sdk::http::{Params, Request};
use utoipa::ToSchema;

use crate::service::STORE;

/// The health report (documentation only: `spin_kit::health` renders it).
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
    spin_kit::health::health(context, STORE)
}
