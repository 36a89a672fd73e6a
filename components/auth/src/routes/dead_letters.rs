//! `GET /auth/outbox/dead-letters` and
//! `POST /auth/outbox/dead-letters/{number}/replay`.

use auth_domain::{DeadLetter, SideEffect};
use serde::Serialize;
use spin_edge::ErrorResponse;
use spin_edge::params::{path, query};
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_edge::{ApiError, HttpResponse};
use spin_sdk::http::{Params, Request};
use utoipa::ToSchema;

use crate::service::auth;

const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLettersResponse {
    /// Dead letters not replayed, in all.
    waiting: u64,
    /// Newest first (among the last 1,000 made).
    dead_letters: Vec<DeadLetterView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterView {
    /// What to replay it by.
    #[schema(example = 3)]
    number: u64,
    /// `analytics` or `notification`.
    #[schema(example = "analytics")]
    target: &'static str,
    /// The delivery's stable id (`event_id` or `Idempotency-Key`); a replay
    /// keeps it, so the receiver still deduplicates.
    delivery_id: String,
    user_id: String,
    /// The event's action, or the notification's subject.
    #[schema(example = "login")]
    what: String,
    /// The receiver's status (`400` or `422`) and the start of its answer.
    #[schema(example = 422)]
    status: u16,
    answer: String,
    /// RFC 3339, UTC: when the side effect was staged.
    created_at: String,
    dead_lettered_at: String,
}

impl From<DeadLetter> for DeadLetterView {
    fn from(letter: DeadLetter) -> Self {
        let delivery = &letter.entry.effect;
        let what = match delivery {
            SideEffect::Event { action, .. } => action.clone(),
            SideEffect::Notification { subject, .. } => subject.clone(),
        };
        Self {
            number: letter.number,
            target: delivery.target(),
            delivery_id: delivery.id().to_owned(),
            user_id: delivery.user_id().to_owned(),
            what,
            status: letter.status,
            answer: letter.answer,
            created_at: letter.entry.created_at.to_rfc3339(),
            dead_lettered_at: letter.dead_lettered_at.to_rfc3339(),
        }
    }
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
    ),
    responses(
        (status = 200, description = "Newest first.", body = DeadLettersResponse),
        (status = 401, description = "`unauthorized`: missing or wrong `X-Internal-Key`.", body = ErrorResponse),
        (status = 422, description = "`validation_failed`: `limit` is not an integer from 1 to 100.", body = ErrorResponse),
        (status = 500, description = "`internal_error`.", body = ErrorResponse),
    )
)]
pub fn list(context: &RequestContext, request: Request, _: Params) -> HandlerResult {
    spin_edge::require_internal_key(&request)?;
    let limit = query(&request, "limit", |raw| {
        raw.parse::<usize>()
            .ok()
            .filter(|limit| (1..=MAX_LIMIT).contains(limit))
            .ok_or("must be an integer from 1 to 100")
    })?
    .unwrap_or(DEFAULT_LIMIT);
    let page = auth(context)?
        .dead_letters(limit)
        .map_err(|cause| super::unexpected(context, cause))?;
    Ok(HttpResponse::json(
        200,
        &DeadLettersResponse {
            waiting: page.waiting,
            dead_letters: page.letters.into_iter().map(Into::into).collect(),
        },
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReplayResponse {
    /// The dead letter replayed (now gone from the list).
    replayed: u64,
    /// Its new outbox sequence number: the next sweep or flush delivers it.
    outbox_seq: u64,
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
        (status = 401, description = "`unauthorized`: missing or wrong `X-Internal-Key`.", body = ErrorResponse),
        (status = 404, description = "`not_found`: no such dead letter (or already replayed).", body = ErrorResponse),
        (status = 500, description = "`internal_error`.", body = ErrorResponse),
    )
)]
pub fn replay(context: &RequestContext, request: Request, params: Params) -> HandlerResult {
    spin_edge::require_internal_key(&request)?;
    let number = path(&params, "number", |raw| {
        raw.parse::<u64>().map_err(|_| "must be a whole number")
    })?;
    let queued = auth(context)?
        .replay_dead_letter(number)
        .map_err(|cause| super::unexpected(context, cause))?
        .ok_or_else(ApiError::not_found)?;
    Ok(HttpResponse::json(
        202,
        &ReplayResponse {
            replayed: number,
            outbox_seq: queued,
        },
    ))
}
