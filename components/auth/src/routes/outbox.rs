//! `POST /auth/outbox/flush`.

use serde::Serialize;
use spin_edge::ErrorResponse;
use spin_edge::HttpResponse;
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_sdk::http::{Params, Request};
use utoipa::ToSchema;

use crate::service::auth_for_writes;

#[derive(Debug, Serialize, ToSchema)]
pub struct FlushResponse {
    /// Entries delivered (or already known to their receiver) by this call.
    delivered: u64,
    /// Entries moved to the dead-letter list by this call: their receiver
    /// answered `400` or `422`.
    dead_lettered: u64,
    /// Entries still waiting. Exact when `complete`; otherwise the entries
    /// seen plus every sequence number not looked at (an upper bound).
    pending: u64,
    /// Whether the whole backlog was looked at within the time budget.
    complete: bool,
    /// Dead letters waiting for an operator (`GET /auth/outbox/dead-letters`).
    dead_letters: u64,
    /// Expired keys (throttle buckets, expired tokens) deleted by this call.
    expired_deleted: u64,
}

/// Delivers every pending analytics event and notification it can within
/// about 10 seconds, whatever their age or back-off, then deletes expired
/// keys. A target that does not answer at all is tried once per call; one
/// that answers is tried entry by entry, so a few entries that keep failing
/// hold back nothing. Call it on a schedule (the scheduled relay) so that
/// kept entries go out even when no one uses auth. Only `400`/`422` answers
/// end an entry unsent, into the dead-letter list; every other failure
/// keeps it.
#[utoipa::path(
    post,
    path = "/auth/outbox/flush",
    tag = "operations",
    security(("internal_key" = [])),
    responses(
        (status = 200, description = "What was delivered, dead-lettered and is left.", body = FlushResponse),
        (status = 401, description = "`unauthorized`: missing or wrong `X-Internal-Key`.", body = ErrorResponse),
        (status = 500, description = "`internal_error`.", body = ErrorResponse),
    )
)]
pub fn flush(context: &RequestContext, request: Request, _: Params) -> HandlerResult {
    spin_edge::require_internal_key(&request)?;
    let report = auth_for_writes(context)?
        .flush_outbox()
        .map_err(|cause| super::unexpected(context, cause))?;
    Ok(HttpResponse::json(
        200,
        &FlushResponse {
            delivered: report.delivered,
            dead_lettered: report.dead_lettered,
            pending: report.pending,
            complete: report.complete,
            dead_letters: report.dead_letters,
            expired_deleted: report.expired_deleted,
        },
    ))
}
