//! `POST /auth/outbox/flush`, `GET /auth/outbox/dead-letters` and
//! `POST /auth/outbox/dead-letters/{number}/replay`: for operators and the
//! scheduled relay (internal key).

use domain_core::{PageLimit, parse_whole_number};
use spin_edge::openapi::{AuthUnavailable, InternalKeyErrors, UnexpectedError, UnreadBodyErrors};
use spin_edge::params::{path, query};
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_edge::{ApiError, ErrorResponse, HttpResponse, require_internal_key};
use spin_sdk::http::{Params, Request};

use crate::service;
use crate::wire::{DeadLettersResponse, FlushResponse, ReplayResponse};

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
        InternalKeyErrors,
        AuthUnavailable,
        UnreadBodyErrors,
        UnexpectedError,
    )
)]
pub fn flush(context: &RequestContext, request: Request, _: Params) -> HandlerResult {
    require_internal_key(context, &request)?;
    let report = service::auth_for_writes(context)?.flush_outbox()?;
    Ok(HttpResponse::json(200, &FlushResponse::from(report)))
}

/// Side effects whose receiver answered `400` or `422` (it can never
/// accept them as they are), kept for an operator to read and replay.
#[utoipa::path(
    get,
    path = "/auth/outbox/dead-letters",
    tag = "operations",
    security(("internal_key" = [])),
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "How many, 1–100; default 20."),
        ("before" = Option<u64>, Query, minimum = 1, description = "Only letters numbered below this: the previous page's `next_before`."),
    ),
    responses(
        (status = 200, description = "Newest first.", body = DeadLettersResponse),
        (status = 422, description = "`validation_failed`: `limit` is not an integer from 1 to 100, or `before` not a whole number from 1.", body = ErrorResponse),
        InternalKeyErrors,
        AuthUnavailable,
        UnexpectedError, UnreadBodyErrors,
    )
)]
pub fn dead_letters(context: &RequestContext, request: Request, _: Params) -> HandlerResult {
    require_internal_key(context, &request)?;
    let limit = query(&request, "limit", PageLimit::parse)?.unwrap_or_default();
    let before = query(&request, "before", |raw| {
        parse_whole_number::<u64>(&raw)
            .filter(|before| *before >= 1)
            .ok_or("must be a whole number from 1")
    })?;
    let page = service::auth(context)?.dead_letters(limit, before)?;
    Ok(HttpResponse::json(200, &DeadLettersResponse::from(page)))
}

/// Puts a dead letter back into the outbox, with its original id, and
/// removes it from the list; the next auth write or flush delivers it (fix
/// the receiver's complaint first, or it comes back). Two replays of one
/// dead letter at once may both queue it: the receiver deduplicates.
#[utoipa::path(
    post,
    path = "/auth/outbox/dead-letters/{number}/replay",
    tag = "operations",
    security(("internal_key" = [])),
    params(("number" = u64, Path, description = "The dead letter's number.")),
    responses(
        (status = 202, description = "Queued again.", body = ReplayResponse),
        (status = 404, description = "`not_found`: no such dead letter (or already replayed).", body = ErrorResponse),
        (status = 422, description = "`validation_failed`: `number` is not a whole number.", body = ErrorResponse),
        InternalKeyErrors,
        AuthUnavailable,
        UnreadBodyErrors,
        UnexpectedError,
    )
)]
pub fn replay(context: &RequestContext, request: Request, params: Params) -> HandlerResult {
    require_internal_key(context, &request)?;
    let number = path(&params, "number", |raw| {
        parse_whole_number::<u64>(&raw).ok_or("must be a whole number")
    })?;
    let queued = service::auth(context)?
        .replay_dead_letter(number)?
        .ok_or_else(ApiError::not_found)?;
    let replayed = ReplayResponse {
        replayed: number,
        outbox_seq: queued,
    };
    Ok(HttpResponse::json(202, &replayed))
}
