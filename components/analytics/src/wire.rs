//! The JSON shapes of the analytics API: what requests are read into and
//! responses are written from, and what the OpenAPI document shows.

use analytics_domain::{
    Action, ActionCounts, EventId, Recording, Sender, SubjectError, Submission,
};
use domain_core::{Metadata, Timestamp, UserId};
use serde::Serialize;
use spin_edge::{FieldReader, FromFields};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The body of `POST /analytics/events`.
#[derive(Debug, ToSchema)]
pub struct EventBody {
    /// Makes the event idempotent: the same id again for the same user
    /// counts nothing (another user's event with this id is another event).
    /// Generated when absent.
    #[schema(
        value_type = Option<String>,
        format = Uuid,
        example = "0b5c3c1e-8f1a-4c7e-9a51-2f0d4e6b7a90"
    )]
    event_id: Option<EventId>,
    /// 1–128 characters. Required with the internal key; with a bearer token
    /// it defaults to the token's user, and naming another user is a 403.
    #[schema(
        value_type = Option<String>,
        min_length = 1,
        max_length = 128,
        example = "3f2b8c1a-1d2e-4f5a-8b9c-0d1e2f3a4b5c"
    )]
    user_id: Option<UserId>,
    /// With a bearer token: not one of the system's actions (`register`,
    /// `login`, `login_failed`, `logout`), one of `client_actions` when the
    /// operator set that list, and at most 10 names per user that the
    /// service has not seen before.
    #[schema(
        value_type = String,
        pattern = "^[a-z][a-z0-9_.:-]{0,63}$",
        example = "page.view"
    )]
    action: Action,
    /// RFC 3339; now when absent.
    #[schema(value_type = Option<String>, format = DateTime, example = "2026-11-24T19:20:00Z")]
    timestamp: Option<Timestamp>,
    /// Any JSON object of at most 4 KiB serialized. Validated, not stored:
    /// the service keeps counts, and no endpoint returns events.
    #[schema(value_type = Option<Object>)]
    metadata: Option<Metadata>,
}

impl FromFields for EventBody {
    fn from_fields(fields: &mut FieldReader) -> Option<Self> {
        let event_id = fields.optional_with("event_id", EventId::parse);
        let user_id = fields.optional_with("user_id", |text: String| UserId::parse(text));
        let action = fields.required_with("action", Action::parse);
        let timestamp =
            fields.optional_with("timestamp", |text: String| Timestamp::parse_rfc3339(&text));
        let metadata = fields.optional_with("metadata", Metadata::parse);
        Some(Self {
            event_id: event_id?,
            user_id: user_id?,
            action: action?,
            timestamp: timestamp?,
            metadata: metadata?,
        })
    }
}

impl EventBody {
    /// The event `sender` submits with this body: whose event it is follows
    /// from the sender (see `Sender::subject`).
    pub fn submission(self, sender: &Sender) -> Result<Submission, SubjectError> {
        Ok(Submission {
            user_id: sender.subject(self.user_id)?,
            event_id: self.event_id,
            action: self.action,
            timestamp: self.timestamp,
            metadata: self.metadata.unwrap_or_default(),
        })
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// Counted now (202).
    Recorded,
    /// Counted before (200); nothing changed.
    Duplicate,
}

#[derive(Serialize, ToSchema)]
pub struct EventAccepted {
    pub status: EventStatus,
    #[schema(format = Uuid)]
    pub event_id: String,
    /// Events recorded so far, over all users and actions.
    pub total_events: u64,
}

impl EventAccepted {
    /// The answer to a recording, and its status code.
    pub fn of(recording: &Recording) -> (u16, Self) {
        let answer = |status, id: &EventId, total_events| Self {
            status,
            event_id: id.to_string(),
            total_events,
        };
        match recording {
            Recording::Recorded {
                event,
                total_events,
            } => (202, answer(EventStatus::Recorded, &event.id, *total_events)),
            Recording::Duplicate {
                event_id,
                total_events,
            } => (200, answer(EventStatus::Duplicate, event_id, *total_events)),
        }
    }
}

/// Events per action, over all users.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"total": 42, "actions": {"login": 30, "register": 12}}))]
pub struct ActionMetrics {
    pub total: u64,
    /// Actions with at least one event, by name.
    pub actions: BTreeMap<String, u64>,
}

impl From<ActionCounts> for ActionMetrics {
    fn from(counts: ActionCounts) -> Self {
        Self {
            total: counts.total,
            actions: names(counts),
        }
    }
}

/// One user's events per action; zeros for a user without events.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"user_id": "3f2b8c1a-1d2e-4f5a-8b9c-0d1e2f3a4b5c", "total": 3, "actions": {"login": 2, "logout": 1}}))]
pub struct UserActionMetrics {
    #[schema(value_type = String)]
    pub user_id: UserId,
    pub total: u64,
    /// Actions with at least one event of this user, by name.
    pub actions: BTreeMap<String, u64>,
}

impl UserActionMetrics {
    pub fn new(user_id: UserId, counts: ActionCounts) -> Self {
        Self {
            user_id,
            total: counts.total,
            actions: names(counts),
        }
    }
}

fn names(counts: ActionCounts) -> BTreeMap<String, u64> {
    counts
        .actions
        .into_iter()
        .map(|(action, count)| (action.to_string(), count))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use spin_edge::json_body::read_fields;

    fn read(body: Value) -> Result<EventBody, spin_edge::ApiError> {
        read_fields(FieldReader::new(body.as_object().unwrap().clone()))
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let body = json!({
            "event_id": "nope", "user_id": "", "action": "Login",
            "timestamp": "yesterday", "metadata": [1],
        });
        let error = read(body).unwrap_err();
        let fields: Vec<_> = error.details.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(
            fields,
            ["event_id", "user_id", "action", "timestamp", "metadata"]
        );
        assert_eq!(error.details[1].message, "must be 1 to 128 characters");
    }

    #[test]
    fn a_full_body_becomes_the_senders_submission() {
        let body = json!({
            "event_id": "0B5C3C1E-8F1A-4C7E-9A51-2F0D4E6B7A90", "user_id": "u1",
            "action": "page.view", "timestamp": "2026-11-24T21:20:00+02:00",
            "metadata": {"path": "/"}, "unknown": true,
        });
        let submission = read(body).unwrap().submission(&Sender::Service).unwrap();
        assert_eq!(
            submission.event_id.map(|id| id.to_string()).as_deref(),
            Some("0b5c3c1e-8f1a-4c7e-9a51-2f0d4e6b7a90")
        );
        assert_eq!(submission.user_id.as_str(), "u1");
        assert_eq!(submission.action.as_str(), "page.view");
        assert_eq!(
            submission.timestamp.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-11-24T19:20:00Z")
        );
        assert_eq!(submission.metadata.as_map()["path"], "/");
    }
}
