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
                ..
            } => {
                let mut body = json!({
                    "user_id": user_id,
                    "channel": "log",
                    "subject": subject,
                    "message": message,
                });
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

    /// The request that sends `effect` on `log` instead, when the answer
    /// says the notification service will never take it by email: every
    /// sweep would meet the same answer, so it goes now, under the same key.
    fn fallback(
        &self,
        effect: &SideEffect,
        answer: &Result<OutboundResponse, OutboundError>,
        internal_key: &str,
    ) -> Option<Result<OutboundRequest, String>> {
        let reason = email_refusal(effect, answer.as_ref().ok()?)?;
        self.context.log(
            "notification_email_unavailable",
            json!({"delivery_id": effect.id(), "reason": reason, "sent_on": "log"}),
        );
        Some(self.request_on(effect, internal_key, false))
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
        match DeliveryOutcome::from_status(response.status) {
            DeliveryOutcome::Rejected { status, .. } => {
                let answer =
                    String::from_utf8_lossy(&response.body[..response.body.len().min(500)])
                        .into_owned();
                self.context.log(
                    "delivery_dead_lettered",
                    json!({
                        "target": effect.target(),
                        "delivery_id": effect.id(),
                        "status": status,
                        "answer": answer,
                    }),
                );
                DeliveryOutcome::Rejected { status, answer }
            }
            DeliveryOutcome::Failed { answered } => {
                self.failed(effect, &format!("status {}", response.status));
                DeliveryOutcome::Failed { answered }
            }
            DeliveryOutcome::Delivered => DeliveryOutcome::Delivered,
        }
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

impl DeliveryPort for HttpDelivery {
    fn deliver(&self, effects: &[&SideEffect], round: Round) -> Vec<DeliveryOutcome> {
        // A configuration problem keeps every entry: an operator can fix it.
        let Ok(internal_key) = config::required_variable("internal_api_key") else {
            return vec![DeliveryOutcome::Failed { answered: false }; effects.len()];
        };
        let built: Vec<Result<OutboundRequest, String>> = effects
            .iter()
            .map(|effect| self.request_on(effect, &internal_key, true))
            .collect();
        let ready: Vec<OutboundRequest> = built
            .iter()
            .filter_map(|r| r.as_ref().ok().cloned())
            .collect();
        let deadline = match round {
            Round::WithOwn => OWN_DEADLINE,
            Round::SweepOnly => SWEEP_DEADLINE,
        };
        let mut answers = outbound::send_all(ready, deadline).into_iter();
        let answered: Vec<Result<Result<OutboundResponse, OutboundError>, String>> = built
            .into_iter()
            .map(|request| request.map(|_| answers.next().expect("one answer per request sent")))
            .collect();
        // The fallbacks on `log` go out together, in one more bounded round.
        let fallbacks: Vec<Option<Result<OutboundRequest, String>>> = effects
            .iter()
            .zip(&answered)
            .map(|(effect, answer)| {
                answer
                    .as_ref()
                    .ok()
                    .and_then(|answer| self.fallback(effect, answer, &internal_key))
            })
            .collect();
        let resent: Vec<OutboundRequest> = fallbacks
            .iter()
            .flatten()
            .filter_map(|request| request.as_ref().ok().cloned())
            .collect();
        let mut resent_answers = match resent.is_empty() {
            true => Vec::new(),
            false => outbound::send_all(resent, SWEEP_DEADLINE),
        }
        .into_iter();
        effects
            .iter()
            .zip(answered)
            .zip(fallbacks)
            .map(|((effect, answer), fallback)| {
                let answer = match (fallback, answer) {
                    (Some(Ok(_)), _) => resent_answers.next().expect("one answer per resend"),
                    (Some(Err(cause)), _) | (None, Err(cause)) => {
                        self.failed(effect, &cause);
                        return DeliveryOutcome::Failed { answered: false };
                    }
                    (None, Ok(answer)) => answer,
                };
                self.settle(effect, answer)
            })
            .collect()
    }

    fn note(&self, event: &str, detail: &str) {
        self.context.log(event, json!({"detail": detail}));
    }
}
