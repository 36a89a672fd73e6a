//! The delivery port over HTTP: events to analytics, notifications to the
//! notification service, all of a round at once and within a short bound.

use auth_domain::{DeliveryOutcome, DeliveryPort, Round, SideEffect};
use serde_json::json;
use spin_edge::caller::INTERNAL_KEY_HEADER;
use spin_edge::config;
use spin_edge::outbound::{self, Deadline, OutboundError, OutboundRequest, OutboundResponse};
use spin_edge::request_id;
use spin_edge::serve::RequestContext;
use std::time::Duration;

/// The request's own side effects: worth a little wait.
const OWN_DEADLINE: Deadline =
    Deadline::within(Duration::from_millis(300), Duration::from_millis(1500));
/// Older entries swept along: the user is not waiting for them, so less.
const SWEEP_DEADLINE: Deadline =
    Deadline::within(Duration::from_millis(300), Duration::from_millis(800));

pub struct HttpDelivery {
    context: RequestContext,
}

impl HttpDelivery {
    pub fn new(context: RequestContext) -> Self {
        Self { context }
    }

    /// `by_email: false` sends an addressed notification on `log` instead.
    fn request_on(
        &self,
        effect: &SideEffect,
        internal_key: &str,
        by_email: bool,
    ) -> Result<OutboundRequest, String> {
        let (base, path, body) = match effect {
            SideEffect::Event {
                event_id,
                user_id,
                action,
                timestamp,
                metadata,
            } => (
                "analytics_url",
                "/analytics/events",
                json!({
                    "event_id": event_id,
                    "user_id": user_id,
                    "action": action,
                    "timestamp": timestamp,
                    "metadata": metadata,
                }),
            ),
            SideEffect::Notification {
                user_id,
                subject,
                message,
                to,
                purpose,
                ..
            } => {
                let mut body = json!({
                    "user_id": user_id,
                    "channel": "log",
                    "subject": subject,
                    "message": message,
                });
                if let Some(purpose) = purpose {
                    body["metadata"] = json!({ "type": purpose });
                }
                if let (Some(to), true) = (to, by_email) {
                    body["channel"] = "email".into();
                    body["to"] = to.clone().into();
                }
                ("notification_url", "/notification/notify", body)
            }
        };
        let base = config::base_url(base).map_err(|_| format!("{base} is not configured"))?;
        let mut request =
            OutboundRequest::post_json(format!("{base}{path}"), body.to_string().into_bytes())
                .header(INTERNAL_KEY_HEADER, internal_key)
                .header(request_id::HEADER, self.context.request_id.clone());
        if let SideEffect::Notification {
            idempotency_key, ..
        } = effect
        {
            request = request.header("idempotency-key", idempotency_key.clone());
        }
        Ok(request)
    }

    /// Whether `answer` says the notification service will never take
    /// `effect` by email (logged): every sweep would meet the same answer,
    /// so it goes on `log` instead, now, under the same key.
    fn email_refused(&self, effect: &SideEffect, answer: &Answer) -> bool {
        let Ok(Ok(response)) = answer else {
            return false;
        };
        let Some(reason) = email_refusal(effect, response) else {
            return false;
        };
        self.context.log(
            "notification_email_unavailable",
            json!({"delivery_id": effect.id(), "reason": reason, "sent_on": "log"}),
        );
        true
    }

    fn settle(
        &self,
        effect: &SideEffect,
        result: Result<OutboundResponse, OutboundError>,
    ) -> DeliveryOutcome {
        let response = match result {
            Ok(response) => response,
            // The peer answered; only its body went missing. Its status
            // says what became of the entry: a `2xx` sent again would only
            // be deduplicated, a `400`/`422` would be refused for ever.
            Err(OutboundError::BodyUnread { response, cause }) => {
                self.context.log(
                    "delivery_answer_unread",
                    json!({"target": effect.target(), "delivery_id": effect.id(), "cause": cause.to_string()}),
                );
                response
            }
            Err(error) => {
                self.failed(effect, &error.to_string());
                return DeliveryOutcome::Failed { answered: false };
            }
        };
        let outcome = outcome_of(&response);
        match &outcome {
            DeliveryOutcome::Rejected { status, answer } => self.context.log(
                "delivery_dead_lettered",
                json!({
                    "target": effect.target(),
                    "delivery_id": effect.id(),
                    "status": status,
                    "answer": answer,
                }),
            ),
            DeliveryOutcome::Failed { .. } => {
                self.failed(effect, &format!("status {}", response.status))
            }
            DeliveryOutcome::Delivered => {}
        }
        outcome
    }

    fn failed(&self, effect: &SideEffect, cause: &str) {
        self.context.log(
            "delivery_failed",
            json!({"target": effect.target(), "delivery_id": effect.id(), "cause": cause, "kept": true}),
        );
    }
}

/// Why the notification service will never take this notification by
/// email, if it will not: it has no email provider (`503
/// channel_unavailable`), or the email channel refuses the address (`422`
/// naming `to`), which the contract lets a user register with (`a@b`).
fn email_refusal(effect: &SideEffect, response: &OutboundResponse) -> Option<&'static str> {
    if !matches!(effect, SideEffect::Notification { to: Some(_), .. }) {
        return None;
    }
    let body: serde_json::Value = serde_json::from_slice(&response.body).ok()?;
    let error = &body["error"];
    match (response.status, error["code"].as_str()?) {
        (503, "channel_unavailable") => Some("channel_unavailable"),
        (422, "validation_failed") if names_field(error, "to") => Some("address_refused"),
        _ => None,
    }
}

fn names_field(error: &serde_json::Value, field: &str) -> bool {
    error["details"]
        .as_array()
        .is_some_and(|details| details.iter().any(|detail| detail["field"] == field))
}

/// What became of one side effect's request: the peer's answer, or why no
/// request went out (its base URL is not configured).
type Answer = Result<Result<OutboundResponse, OutboundError>, String>;

/// Sends the requests that could be built, all at once within `deadline`;
/// the others keep the reason they could not be.
fn send_built(requests: Vec<Result<OutboundRequest, String>>, deadline: Deadline) -> Vec<Answer> {
    let mut ready = Vec::new();
    let mut slots: Vec<Result<(), String>> = Vec::with_capacity(requests.len());
    for request in requests {
        match request {
            Ok(request) => {
                ready.push(request);
                slots.push(Ok(()));
            }
            Err(cause) => slots.push(Err(cause)),
        }
    }
    let mut answers = outbound::send_all(ready, deadline).into_iter();
    slots
        .into_iter()
        .map(|slot| slot.map(|()| answers.next().expect("one answer per request sent")))
        .collect()
}

/// What a receiver's answer means for the entry: `2xx` delivered; `400` and
/// `422` never deliverable (dead-lettered with the start of the answer);
/// anything else kept, as `401`/`403`/`404` are configuration an operator
/// can fix and `5xx`, `408`, `409` and `429` pass.
fn outcome_of(response: &OutboundResponse) -> DeliveryOutcome {
    match response.status {
        200..=299 => DeliveryOutcome::Delivered,
        status @ (400 | 422) => DeliveryOutcome::Rejected {
            status,
            answer: String::from_utf8_lossy(&response.body[..response.body.len().min(500)])
                .into_owned(),
        },
        _ => DeliveryOutcome::Failed { answered: true },
    }
}

impl DeliveryPort for HttpDelivery {
    fn deliver(&self, effects: &[&SideEffect], round: Round) -> Vec<DeliveryOutcome> {
        // A configuration problem keeps every entry: an operator can fix it.
        let Ok(internal_key) = config::required_variable("internal_api_key") else {
            return vec![DeliveryOutcome::Failed { answered: false }; effects.len()];
        };
        let deadline = match round {
            Round::WithOwn => OWN_DEADLINE,
            Round::SweepOnly => SWEEP_DEADLINE,
        };
        let requests = effects
            .iter()
            .map(|effect| self.request_on(effect, &internal_key, true))
            .collect();
        let mut answers = send_built(requests, deadline);
        // Notifications the notification service will never take by email
        // go out again on `log`, together, in one more bounded round.
        let refused: Vec<usize> = (0..effects.len())
            .filter(|&index| self.email_refused(effects[index], &answers[index]))
            .collect();
        if !refused.is_empty() {
            let on_log = refused
                .iter()
                .map(|&index| self.request_on(effects[index], &internal_key, false))
                .collect();
            for (index, answer) in refused.into_iter().zip(send_built(on_log, SWEEP_DEADLINE)) {
                answers[index] = answer;
            }
        }
        effects
            .iter()
            .zip(answers)
            .map(|(effect, answer)| match answer {
                Ok(answer) => self.settle(effect, answer),
                Err(cause) => {
                    self.failed(effect, &cause);
                    DeliveryOutcome::Failed { answered: false }
                }
            })
            .collect()
    }

    fn note(&self, event: &str, detail: &str) {
        self.context.log(event, json!({"detail": detail}));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain_core::Timestamp;

    fn answer(status: u16, body: serde_json::Value) -> OutboundResponse {
        OutboundResponse {
            status,
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
        }
    }

    fn notification(to: Option<&str>) -> SideEffect {
        SideEffect::Notification {
            idempotency_key: "welcome:u1".to_owned(),
            user_id: "u1".to_owned(),
            subject: "Welcome".to_owned(),
            message: "Hello".to_owned(),
            to: to.map(str::to_owned),
            purpose: Some("welcome".to_owned()),
        }
    }

    fn refused_to() -> serde_json::Value {
        json!({"error": {"code": "validation_failed", "details": [{"field": "to"}]}})
    }

    #[test]
    fn only_400_and_422_end_an_entry_unsent() {
        for status in [200, 202] {
            assert_eq!(
                outcome_of(&answer(status, json!({}))),
                DeliveryOutcome::Delivered
            );
        }
        for status in [
            401, 403, 404, 405, 408, 409, 413, 415, 429, 500, 502, 503, 504, 301, 100,
        ] {
            assert_eq!(
                outcome_of(&answer(status, json!({}))),
                DeliveryOutcome::Failed { answered: true },
                "{status}"
            );
        }
        for status in [400, 422] {
            assert_eq!(
                outcome_of(&answer(status, json!({"error": {"code": "x"}}))),
                DeliveryOutcome::Rejected {
                    status,
                    answer: r#"{"error":{"code":"x"}}"#.to_owned()
                },
            );
        }
    }

    #[test]
    fn a_dead_letter_keeps_the_start_of_the_answer() {
        let long = answer(422, json!({"detail": "x".repeat(2000)}));
        let DeliveryOutcome::Rejected { answer, .. } = outcome_of(&long) else {
            panic!("422 is a rejection");
        };
        assert_eq!(answer.len(), 500);
    }

    #[test]
    fn no_email_provider_or_a_refused_address_sends_the_email_on_log() {
        let unavailable = answer(503, json!({"error": {"code": "channel_unavailable"}}));
        let addressed = notification(Some("a@b"));
        assert_eq!(
            email_refusal(&addressed, &unavailable),
            Some("channel_unavailable")
        );
        assert_eq!(
            email_refusal(&addressed, &answer(422, refused_to())),
            Some("address_refused")
        );
    }

    #[test]
    fn other_answers_and_other_side_effects_keep_their_way() {
        let addressed = notification(Some("a@b.example"));
        let other_field =
            json!({"error": {"code": "validation_failed", "details": [{"field": "message"}]}});
        for response in [
            answer(422, other_field),
            answer(503, json!({"error": {"code": "channel_unreachable"}})),
            answer(500, json!({"error": {"code": "internal_error"}})),
            answer(202, json!({"status": "delivered"})),
            OutboundResponse {
                status: 503,
                headers: Vec::new(),
                body: b"not json".to_vec(),
            },
        ] {
            assert_eq!(
                email_refusal(&addressed, &response),
                None,
                "{}",
                response.status
            );
        }
        // Without an address it was sent on `log` already; an event has no channel.
        let event = SideEffect::event("u1", "login", Timestamp::from_unix_seconds(0), json!({}));
        for effect in [notification(None), event] {
            assert_eq!(email_refusal(&effect, &answer(422, refused_to())), None);
        }
    }
}
