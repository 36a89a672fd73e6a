//! The webhook channel's transport: one bounded POST per attempt through
//! spin-edge's outbound HTTP. The retries live in the domain.

use notification_domain::{TransportFailure, WebhookTransport};
use spin_edge::outbound::{self, Deadline, OutboundError, OutboundRequest, plain_words};
use spin_edge::request_id;
use std::time::Duration;

/// Per attempt; with three attempts and their backoff a delivery ends
/// within about 16 s even when the peer never answers.
const ATTEMPT_DEADLINE: Deadline = Deadline::within(Duration::from_secs(2), Duration::from_secs(5));

pub struct SpinWebhook {
    url: String,
    request_id: String,
}

impl SpinWebhook {
    pub fn new(url: String, request_id: &str) -> Self {
        Self {
            url,
            request_id: request_id.to_owned(),
        }
    }
}

impl WebhookTransport for SpinWebhook {
    fn post_json(&self, body: &[u8]) -> Result<u16, TransportFailure> {
        // A declared length, not chunked transfer: some webhook receivers
        // refuse bodies without one.
        // Only the status tells: a receiver that accepts and answers with a
        // page of HTML has accepted.
        let request = OutboundRequest::post_json(self.url.clone(), body.to_vec())
            .header("content-length", body.len().to_string())
            .header(request_id::HEADER, self.request_id.clone())
            .status_only();
        outbound::send(request, ATTEMPT_DEADLINE)
            .map(|response| response.status)
            .map_err(failure)
    }
}

/// Reasons end up in stored records and responses: they never name the URL.
fn failure(error: OutboundError) -> TransportFailure {
    let (retryable, reason) = match error {
        OutboundError::InvalidUrl(_) => (false, "webhook_url is not an http(s) URL".to_owned()),
        OutboundError::Denied => (false, "the webhook host is not allowed".to_owned()),
        OutboundError::InvalidHeader => {
            (false, "the webhook request headers are invalid".to_owned())
        }
        // Never met: only the status is read.
        OutboundError::BodyUnread { cause, .. } => return failure(*cause),
        OutboundError::TimedOut => (true, "the webhook did not answer in time".to_owned()),
        OutboundError::Transport(cause) => (
            true,
            format!("the webhook call failed: {}", plain_words(&cause)),
        ),
    };
    TransportFailure { retryable, reason }
}
