//! `POST /analytics/events`.

use super::{analytics, sender};
use crate::wire::{EventAccepted, EventBody};
use analytics_domain::{
    Action, EventId, Metadata, RecordError, Recording, Sender, SubjectError, Submission, UserId,
};
use service_kit::{ApiError, HttpResponse, Timestamp};
use spin_kit::openapi::ErrorResponse;
use spin_kit::params::json_body;
use spin_kit::serve::{HandlerResult, RequestContext};
use spin_sdk::http::{Params, Request};

/// Records an event once per `event_id`.
///
/// Counts are exact under any concurrency: the first request to claim an
/// `event_id` counts it, every repeat (sequential, racing, or after a
/// restart) answers `200 duplicate` and changes nothing.
#[utoipa::path(
    post,
    path = "/analytics/events",
    tag = "events",
    request_body = EventBody,
    security(("internal_key" = []), ("bearer" = [])),
    responses(
        (status = 202, description = "Recorded and counted.", body = EventAccepted),
        (status = 200, description = "This `event_id` was recorded before; nothing changed.", body = EventAccepted),
        (status = 400, description = "The body is not JSON.", body = ErrorResponse),
        (status = 401, description = "Missing or invalid credentials.", body = ErrorResponse,
            headers(("www-authenticate" = String, description = "`Bearer`, unless a wrong internal key was sent."))),
        (status = 403, description = "A user's token naming another `user_id`.", body = ErrorResponse),
        (status = 413, description = "The body is over 64 KiB.", body = ErrorResponse),
        (status = 415, description = "The body is not `application/json`.", body = ErrorResponse),
        (status = 422, description = "A field breaks the rules (one detail per field); also a new `action` once 1000 distinct actions are tracked.", body = ErrorResponse),
        (status = 500, description = "Unexpected failure (e.g. the store).", body = ErrorResponse),
        (status = 503, description = "A bearer token could not be verified right now.", body = ErrorResponse),
    )
)]
pub fn record(context: &RequestContext, request: Request, _: Params) -> HandlerResult {
    let sender = sender(context, &request)?;
    let submission = read_submission(&request, &sender)?;
    let recording = analytics(context)?
        .record(submission)
        .map_err(|error| match error {
            RecordError::TooManyActions { .. } => {
                ApiError::invalid_parameter("action", &error.to_string())
            }
            RecordError::Unexpected(cause) => context.internal(cause),
        })?;
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

/// Every field checked at once (one 422 detail each), then whose event it is.
fn read_submission(request: &Request, sender: &Sender) -> Result<Submission, ApiError> {
    let mut fields = json_body(request)?;
    let event_id = fields.optional_with("event_id", EventId::parse);
    let named_user = fields.optional_with("user_id", UserId::parse);
    let action = fields.required_with("action", Action::parse);
    let timestamp =
        fields.optional_with("timestamp", |text: String| Timestamp::parse_rfc3339(&text));
    let metadata = fields.optional_with("metadata", Metadata::parse);
    let subject = named_user.map(|named| sender.subject(named));
    if let Some(Err(SubjectError::Missing)) = &subject {
        fields.reject("user_id", &SubjectError::Missing.to_string());
    }
    fields.finish()?;

    let (Some(event_id), Some(action), Some(timestamp), Some(metadata), Some(subject)) =
        (event_id, action, timestamp, metadata, subject)
    else {
        unreachable!("finish() refuses a body with a bad or missing field")
    };
    // `Missing` was refused above; what remains is another user's id.
    let user_id = subject.map_err(|_| ApiError::forbidden())?;
    Ok(Submission {
        event_id,
        user_id,
        action,
        timestamp,
        metadata: metadata.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use spin_sdk::http::Method;

    fn request(body: &Value) -> Request {
        Request::builder()
            .method(Method::Post)
            .uri("/analytics/events")
            .header("content-type", "application/json")
            .body(body.to_string())
            .build()
    }

    fn user(id: &str) -> UserId {
        UserId::parse(id.to_owned()).unwrap()
    }

    fn refused_fields(body: Value, sender: &Sender) -> Vec<String> {
        let error = read_submission(&request(&body), sender).unwrap_err();
        assert_eq!(
            (error.status, error.code),
            (422, "validation_failed"),
            "{body}"
        );
        error.details.into_iter().map(|d| d.field).collect()
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let body = json!({
            "event_id": "nope", "user_id": "", "action": "Login",
            "timestamp": "yesterday", "metadata": [1],
        });
        assert_eq!(
            refused_fields(body, &Sender::Service),
            ["event_id", "user_id", "action", "timestamp", "metadata"]
        );
    }

    #[test]
    fn the_internal_key_must_name_the_user() {
        let body = json!({"action": "login"});
        assert_eq!(refused_fields(body, &Sender::Service), ["user_id"]);
    }

    #[test]
    fn a_token_defaults_to_its_user_and_refuses_others() {
        let alice = Sender::User(user("alice"));
        let own = read_submission(&request(&json!({"action": "login"})), &alice).unwrap();
        assert_eq!(own.user_id, user("alice"));
        let other = json!({"action": "login", "user_id": "bob"});
        let error = read_submission(&request(&other), &alice).unwrap_err();
        assert_eq!((error.status, error.code), (403, "forbidden"));
    }

    #[test]
    fn a_full_body_becomes_a_submission() {
        let body = json!({
            "event_id": "0B5C3C1E-8F1A-4C7E-9A51-2F0D4E6B7A90", "user_id": "u1",
            "action": "page.view", "timestamp": "2026-11-24T21:20:00+02:00",
            "metadata": {"path": "/"}, "unknown": true,
        });
        let submission = read_submission(&request(&body), &Sender::Service).unwrap();
        assert_eq!(
            submission.event_id.map(|id| id.to_string()).as_deref(),
            Some("0b5c3c1e-8f1a-4c7e-9a51-2f0d4e6b7a90")
        );
        assert_eq!(submission.action.as_str(), "page.view");
        assert_eq!(
            submission.timestamp.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-11-24T19:20:00Z")
        );
        assert_eq!(submission.metadata.as_map()["path"], "/");
    }

    #[test]
    fn media_type_and_syntax_come_before_fields() {
        let plain = Request::builder()
            .method(Method::Post)
            .uri("/analytics/events")
            .header("content-type", "text/plain")
            .body("{}")
            .build();
        let error = read_submission(&plain, &Sender::Service).unwrap_err();
        assert_eq!(error.status, 415);
        let broken = Request::builder()
            .method(Method::Post)
            .uri("/analytics/events")
            .header("content-type", "application/json")
            .body("{")
            .build();
        assert_eq!(
            read_submission(&broken, &Sender::Service)
                .unwrap_err()
                .status,
            400
        );
    }
}
