//! The JSON shapes of the analytics API, as clients and the OpenAPI document
//! see them.

use analytics_domain::{ActionCounts, EventId, Recording, UserId};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The body of `POST /analytics/events`. Read field by field (so that every
/// bad field is reported at once); this type documents it.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EventBody {
    /// Makes the event idempotent: the same id again for the same user
    /// counts nothing (another user's event with this id is another event).
    /// Generated when absent.
    #[schema(format = Uuid, example = "0b5c3c1e-8f1a-4c7e-9a51-2f0d4e6b7a90")]
    event_id: Option<String>,
    /// 1–128 characters. Required with the internal key; with a bearer token
    /// it defaults to the token's user, and naming another user is a 403.
    #[schema(
        min_length = 1,
        max_length = 128,
        example = "3f2b8c1a-1d2e-4f5a-8b9c-0d1e2f3a4b5c"
    )]
    user_id: Option<String>,
    /// With a bearer token: not one of the system's actions (`register`,
    /// `login`, `login_failed`, `logout`), one of `client_actions` when the
    /// operator set that list, and at most 10 names per user that the
    /// service has not seen before.
    #[schema(pattern = "^[a-z][a-z0-9_.:-]{0,63}$", example = "page.view")]
    action: String,
    /// RFC 3339; now when absent.
    #[schema(format = DateTime, example = "2026-11-24T19:20:00Z")]
    timestamp: Option<String>,
    /// Any JSON object of at most 4 KiB serialized. Validated, not stored:
    /// the service keeps counts, and no endpoint returns events.
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
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
    pub user_id: String,
    pub total: u64,
    /// Actions with at least one event of this user, by name.
    pub actions: BTreeMap<String, u64>,
}

impl UserActionMetrics {
    pub fn new(user: &UserId, counts: ActionCounts) -> Self {
        Self {
            user_id: user.to_string(),
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

/// The health report (documentation of what spin-kit's health check sends).
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(example = json!({"status": "ok", "service": "analytics", "version": "0.1.0", "checks": {"kv": "ok"}}))]
pub struct Health {
    /// `ok`, or `unavailable` when a check failed.
    status: String,
    service: String,
    version: String,
    /// Each check's verdict: `ok` or `failed`.
    checks: BTreeMap<String, String>,
}
