//! `POST /auth/outbox/flush`.

use serde::Serialize;
use service_kit::HttpResponse;
use spin_kit::openapi::ErrorResponse;
use spin_kit::serve::{HandlerResult, RequestContext};
use spin_sdk::http::{Params, Request};
use utoipa::ToSchema;

use crate::service::auth;

#[derive(Debug, Serialize, ToSchema)]
pub struct FlushResponse {
    /// Entries delivered (or already known to their receiver) by this call.
    delivered: u64,
    /// Entries still waiting: exact while the backlog is under 256 entries,
    /// an upper bound beyond.
    pending: u64,
}

/// Delivers up to 32 pending analytics events and notifications now,
/// whatever their age. Operators and jobs may call it; auth requests also
/// deliver a few pending entries each, so it is rarely needed.
#[utoipa::path(
    post,
    path = "/auth/outbox/flush",
    tag = "operations",
    security(("internal_key" = [])),
    responses(
        (status = 200, description = "What was delivered and what is left.", body = FlushResponse),
        (status = 401, description = "`unauthorized`: missing or wrong `X-Internal-Key`.", body = ErrorResponse),
        (status = 500, description = "`internal_error`.", body = ErrorResponse),
    )
)]
pub fn flush(context: &RequestContext, request: Request, _: Params) -> HandlerResult {
    spin_kit::require_internal_key(&request)?;
    let report = auth(context)?
        .flush_outbox()
        .map_err(|cause| super::unexpected(context, cause))?;
    Ok(HttpResponse::json(
        200,
        &FlushResponse {
            delivered: report.delivered,
            pending: report.pending,
        },
    ))
}
