//! `POST /analytics/events`.

use super::{analytics, sender};
use crate::wire::{EventAccepted, EventBody};
use analytics_domain::{
    Action, ClientActions, EventId, Metadata, RecordError, Recording, Sender, SubjectError,
    Submission, USER_ACTION_SLOTS, USER_NEW_ACTIONS, UserId,
};
use domain_core::Timestamp;
use spin_edge::ErrorResponse;
use spin_edge::params::json_body;
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_edge::{ApiError, HttpResponse};
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
/// when the operator set the `client_actions` variable (a comma-separated
/// list), only those actions are accepted (`403 action_not_allowed`); and a
/// user may introduce at most 10 action names the service has not seen
/// before (`403 action_quota_exceeded`), within the first 900 of the 1000
/// tracked names (the rest stay for the internal key). The internal key is
/// bound by none of these.
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
        (status = 403, description = "With a bearer token: `forbidden` for another `user_id`; `reserved_action` for an action only the system records (`register`, `login`, `login_failed`, `logout`); `action_not_allowed` for an action outside the operator's `client_actions`; `action_quota_exceeded` for a new action name once the user has introduced 10.", body = ErrorResponse),
        (status = 413, description = "The body is over 64 KiB.", body = ErrorResponse),
        (status = 415, description = "The body is not `application/json`.", body = ErrorResponse),
        (status = 422, description = "A field breaks the rules (one detail per field); also a new `action` once 1000 distinct actions are tracked (900 for bearer tokens).", body = ErrorResponse),
        (status = 500, description = "Unexpected failure (e.g. the store); nothing of the event was kept, so a retry with the same `event_id` counts it (see the README for the crash window that remains).", body = ErrorResponse),
        (status = 503, description = "A bearer token could not be verified right now.", body = ErrorResponse),
    )
)]
pub fn record(context: &RequestContext, request: Request, _: Params) -> HandlerResult {
    let sender = sender(context, &request)?;
    let submission = read_submission(&request, &sender)?;
    let mut service = analytics(context)?;
    if let Sender::User(_) = sender {
        service = service.with_client_actions(client_actions(context)?);
    }
    let recording = service
        .record(&sender, submission)
        .map_err(|error| refusal(context, error))?;
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

/// The operator's `client_actions` list; only bearer requests read it.
fn client_actions(context: &RequestContext) -> Result<ClientActions, ApiError> {
    let list = spin_edge::config::variable("client_actions").unwrap_or_default();
    ClientActions::parse(&list).map_err(|error| ApiError::unexpected(error))
}

/// The contract's answer to an event that was not recorded.
fn refusal(context: &RequestContext, error: RecordError) -> ApiError {
    let message = error.to_string();
    match error {
        RecordError::TooManyActions { .. } => ApiError::invalid_parameter("action", &message),
        RecordError::ReservedAction => ApiError::new(403, "reserved_action", message),
        RecordError::ActionNotAllowed => ApiError::new(403, "action_not_allowed", message),
        RecordError::ActionQuotaExceeded { .. } => {
            ApiError::new(403, "action_quota_exceeded", message)
        }
        RecordError::Unexpected(cause) => ApiError::unexpected(cause),
    }
}

// The documented numbers above are these constants.
const _: () = assert!(USER_NEW_ACTIONS == 10 && USER_ACTION_SLOTS == 900);

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
    fn each_refusal_has_its_status_and_code() {
        let context = RequestContext {
            service: super::super::SERVICE,
            request_id: "test".into(),
            trace_id: None,
        };
        let cases = [
            (RecordError::ReservedAction, 403, "reserved_action"),
            (RecordError::ActionNotAllowed, 403, "action_not_allowed"),
            (
                RecordError::ActionQuotaExceeded { limit: 10 },
                403,
                "action_quota_exceeded",
            ),
            (
                RecordError::TooManyActions { limit: 1000 },
                422,
                "validation_failed",
            ),
        ];
        for (error, status, code) in cases {
            let answer = refusal(&context, error);
            assert_eq!((answer.status, answer.code), (status, code));
        }
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
