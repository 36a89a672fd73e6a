//! `POST /analytics/events`.

use crate::service;
use crate::wire::{EventAccepted, EventBody};
use analytics_domain::{Recording, USER_ACTION_SLOTS, USER_NEW_ACTIONS};
use spin_edge::json_body::read_fields;
use spin_edge::openapi::{BodyErrors, CallerErrors, UnexpectedError};
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_edge::{ErrorResponse, HttpResponse, authenticate, params};
use spin_sdk::http::{Params, Request};

/// Records an event once per `event_id` and user.
///
/// Counts are exact under any concurrency: the first request to claim a
/// user's `event_id` counts it, every repeat (sequential, racing, or after a
/// restart) answers `200 duplicate` and changes nothing; the same id from
/// another user is another event. If counting fails after the claim, what
/// was counted is reversed and the claim released before the `500`, so a
/// retry with the same `event_id` counts the event.
///
/// With a bearer token: the actions the auth service emits (`register`,
/// `login`, `login_failed`, `logout`) are refused (`403 reserved_action`);
/// when the operator set the `client_actions` variable (names separated by
/// commas or whitespace), only those actions are accepted (`403
/// action_not_allowed`); and a user may introduce at most 10 action names
/// the service has not seen before (`403 action_quota_exceeded`), and users
/// together hold at most 900 of the 1000 tracked names, however many race
/// (the rest stay for the internal key). The internal key is bound by none
/// of these. A user's new name that another request claimed but has not
/// added within about a second gets `409 action_being_added` with
/// `Retry-After`, rather than a slot of its own.
#[utoipa::path(
    post,
    path = "/analytics/events",
    tag = "events",
    request_body = EventBody,
    security(("internal_key" = []), ("bearer" = [])),
    responses(
        (status = 202, description = "Recorded and counted.", body = EventAccepted),
        (status = 200, description = "This `event_id` was recorded before; nothing changed.", body = EventAccepted),
        (status = 403, description = "With a bearer token: `forbidden` for another `user_id`; `reserved_action` for an action only the system records (`register`, `login`, `login_failed`, `logout`); `action_not_allowed` for an action outside the operator's `client_actions` (a repeat of an event counted before the list left its action out is still `200 duplicate`); `action_quota_exceeded` for a new action name once the user has introduced 10.", body = ErrorResponse),
        (status = 409, description = "With a bearer token: `action_being_added`: the action is new, and another request that claimed it has not added it within about a second; nothing was recorded or spent, and a retry records the event.", body = ErrorResponse,
            headers(("Retry-After" = u32, description = "Seconds to wait before repeating."))),
        (status = 422, description = "`validation_failed`: a field breaks the rules (one detail per field, or one naming `body` when it is not a JSON object; `user_id` is required with the internal key); also a new `action` once 1000 distinct actions are tracked (900 for bearer tokens).", body = ErrorResponse),
        BodyErrors,
        CallerErrors,
        UnexpectedError,
    )
)]
pub fn record(context: &RequestContext, request: Request, _: Params) -> HandlerResult {
    let sender = service::sender(authenticate(context, &request)?);
    let mut fields = params::json_body(&request)?;
    // A `user_id` the sender must name is one more bad field when missing,
    // reported with the others.
    if !fields.has("user_id")
        && let Err(missing) = sender.subject(None)
    {
        fields.reject("user_id", &missing.to_string());
    }
    let body: EventBody = read_fields(fields)?;
    let submission = body.submission(&sender)?;
    let recording = service::analytics_for(&sender)?.record(&sender, submission)?;
    if let Recording::Recorded { event, .. } = &recording {
        // Free-form metadata stays out of the log: it may carry anything.
        context.log(
            "event_recorded",
            serde_json::json!({
                "event_id": event.id.to_string(),
                "user_id": event.user_id.as_str(),
                "action": event.action.as_str(),
                "timestamp": event.timestamp.to_rfc3339(),
            }),
        );
    }
    let (status, answer) = EventAccepted::of(&recording);
    Ok(HttpResponse::json(status, &answer))
}

// The documented numbers above are these constants.
const _: () = assert!(USER_NEW_ACTIONS == 10 && USER_ACTION_SLOTS == 900);
