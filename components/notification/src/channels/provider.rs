//! The email and SMS channels: the providers live in the `channels`
//! component (its own instance, with only the channel settings), asked over
//! a chained call to its private route. The provider makes one attempt;
//! retries and back-off stay in the domain.

use notification_domain::{
    Attempt, ChannelKind, Notification, Provider, ProviderMessage, Readiness,
};
use serde::de::DeserializeOwned;
use spin_edge::outbound::{self, Deadline, OutboundError, OutboundRequest, plain_words};
use spin_edge::request_id;
use std::time::Duration;

/// The channels component's private route: only this app's components
/// reach it, so it is not a variable and takes no key.
const CHANNELS: &str = "http://channels.spin.internal";

/// A readiness answer is the provider reading its settings.
const READINESS_DEADLINE: Deadline =
    Deadline::within(Duration::from_secs(1), Duration::from_secs(2));
/// One attempt: the provider bounds its own API call at 5 s.
const ATTEMPT_DEADLINE: Deadline = Deadline::within(Duration::from_secs(1), Duration::from_secs(6));

/// Why a provider takes no notification, in words for the operator's log.
pub enum NotReady {
    /// It says what setting it lacks.
    Unconfigured(String),
    /// It could not be asked: no answer in time, a failed instance, nonsense.
    Unreachable(String),
}

/// The provider of one channel, in the channels component.
pub struct ChannelsComponent {
    channel: &'static str,
    request_id: String,
}

impl ChannelsComponent {
    pub fn new(kind: ChannelKind, request_id: &str) -> Self {
        Self {
            channel: kind.as_str(),
            request_id: request_id.to_owned(),
        }
    }

    /// Whether the provider is configured, and why not.
    pub fn readiness(&self) -> Result<(), NotReady> {
        let request = OutboundRequest::get(format!("{CHANNELS}/{}/readiness", self.channel));
        match self
            .call::<Readiness>(request, READINESS_DEADLINE)
            .map_err(NotReady::Unreachable)?
        {
            Readiness::Ready => Ok(()),
            Readiness::Unconfigured(missing) => Err(NotReady::Unconfigured(missing)),
        }
    }

    fn call<T: DeserializeOwned>(
        &self,
        request: OutboundRequest,
        deadline: Deadline,
    ) -> Result<T, String> {
        let request = request.header(request_id::HEADER, self.request_id.clone());
        let response = outbound::send(request, deadline)
            .map_err(|error| unreachable_reason(self.channel, &error))?;
        if response.status != 200 {
            // A provider that traps fails its instance: Spin answers 500.
            return Err(format!(
                "the {} provider failed (status {})",
                self.channel, response.status
            ));
        }
        serde_json::from_slice(&response.body)
            .map_err(|_| format!("the {} provider answered nonsense", self.channel))
    }
}

impl Provider for ChannelsComponent {
    fn attempt(&self, notification: &Notification) -> Attempt {
        let body =
            serde_json::to_vec(&ProviderMessage::of(notification)).expect("a message serializes");
        let request = OutboundRequest::post_json(format!("{CHANNELS}/{}/send", self.channel), body);
        // Not knowing how the attempt went is worth another one, at the
        // risk of a second message: the notification's id travels with it,
        // but the default providers' APIs do not deduplicate by it.
        self.call(request, ATTEMPT_DEADLINE)
            .unwrap_or_else(Attempt::Unavailable)
    }
}

/// Why a channel's provider could not be asked, in words fit for the stored
/// record and the response: the WASI error's name without its payload, and
/// never the internal URL.
fn unreachable_reason(channel: &str, error: &OutboundError) -> String {
    match error {
        OutboundError::TimedOut => format!("the {channel} provider did not answer in time"),
        OutboundError::Transport(cause) => {
            format!(
                "the {channel} provider did not answer: {}",
                plain_words(cause)
            )
        }
        OutboundError::InvalidUrl(_) | OutboundError::Denied | OutboundError::InvalidHeader => {
            format!("the {channel} provider cannot be reached")
        }
        // Its answer is the outcome: without it, how the attempt went is
        // unknown.
        OutboundError::BodyUnread { cause, .. } => unreachable_reason(channel, cause),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_neither_the_route_nor_the_error_payload() {
        let cases = [
            (
                OutboundError::Transport(
                    "ErrorCode::DnsError(DnsErrorPayload { rcode: Some(\"secret-host\") })".into(),
                ),
                "the email provider did not answer: dns error",
            ),
            (
                OutboundError::TimedOut,
                "the email provider did not answer in time",
            ),
            (
                OutboundError::InvalidUrl(format!("{CHANNELS}/email/send")),
                "the email provider cannot be reached",
            ),
            (
                OutboundError::Denied,
                "the email provider cannot be reached",
            ),
            (
                OutboundError::BodyUnread {
                    response: spin_edge::outbound::OutboundResponse {
                        status: 200,
                        headers: Vec::new(),
                        body: Vec::new(),
                    },
                    cause: Box::new(OutboundError::TimedOut),
                },
                "the email provider did not answer in time",
            ),
        ];
        for (error, reason) in cases {
            assert_eq!(unreachable_reason("email", &error), reason, "{error:?}");
        }
    }
}
