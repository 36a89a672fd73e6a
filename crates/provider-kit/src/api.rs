//! One attempt through a provider's HTTP API: a bounded POST of a JSON body
//! with the API key as a bearer token (spin-edge's outbound HTTP), and its
//! answer classified the way the notification service expects.

use spin_edge::outbound::{
    self, Deadline, OutboundError, OutboundRequest, OutboundResponse, plain_words,
};
use std::time::Duration;

/// One attempt ends before the notification service stops waiting for it
/// (6 s, `components/notification/src/channels/provider.rs`).
const ATTEMPT: Deadline = Deadline::within(Duration::from_secs(2), Duration::from_secs(5));

/// An HTTP API a provider sends through, as its reasons name it.
#[derive(Debug, Clone, Copy)]
pub struct Api {
    /// "the email API".
    pub name: &'static str,
    /// The prefix of its settings: "email" for `email_api_url` and
    /// `email_api_origin`.
    pub settings: &'static str,
}

/// How one attempt went. Reasons are stored and shown to clients: they name
/// no URL and no key.
#[derive(Debug)]
pub enum Answer {
    /// Accepted; the answer names the message.
    Delivered(OutboundResponse),
    /// Trying again will not help: the request, the address or the
    /// credentials were refused.
    Rejected(String),
    /// Trying again later may help.
    Unavailable(String),
}

impl Api {
    /// POSTs `body` to `url` with `api_key` as a bearer token: 2 s to
    /// connect, 5 s in all.
    pub fn post(&self, url: &str, api_key: &str, body: Vec<u8>) -> Answer {
        // A declared length: some APIs refuse chunked bodies.
        let length = body.len().to_string();
        let request = OutboundRequest::post_json(url, body)
            .header("content-length", length)
            .header("authorization", format!("Bearer {api_key}"));
        self.answer(outbound::send(request, ATTEMPT))
    }

    /// 2xx: accepted. 408, 425, 429 and 5xx: busy or down, try later. Any
    /// other status (400 bad address or content, 401/403 refused
    /// credentials, 404 a wrong endpoint) is for good: a retry seconds later
    /// would get the same. A status whose body then failed counts as the
    /// status: an API that accepted the message has it, and another attempt
    /// would send it twice. No answer: a wrong URL, a host Spin refuses or
    /// a key that cannot be sent as a header is for good, a timeout or a
    /// transport failure may pass.
    fn answer(&self, result: Result<OutboundResponse, OutboundError>) -> Answer {
        let (name, settings) = (self.name, self.settings);
        match result {
            Ok(response) => match response.status {
                200..=299 => Answer::Delivered(response),
                status @ (408 | 425 | 429 | 500..=599) => {
                    Answer::Unavailable(format!("{name} answered {status}"))
                }
                status @ (401 | 403) => {
                    Answer::Rejected(format!("{name} refused the credentials ({status})"))
                }
                status => Answer::Rejected(format!("{name} refused the message ({status})")),
            },
            Err(OutboundError::InvalidUrl(_)) => {
                Answer::Rejected(format!("{settings}_api_url is not an http(s) URL"))
            }
            Err(OutboundError::Denied) => Answer::Rejected(format!(
                "{name} host is not allowed (see {settings}_api_origin)"
            )),
            Err(OutboundError::BodyUnread { response, .. }) => self.answer(Ok(response)),
            Err(OutboundError::InvalidHeader) => {
                Answer::Rejected(format!("{settings}_api_key is not a valid header value"))
            }
            Err(OutboundError::TimedOut) => {
                Answer::Unavailable(format!("{name} did not answer in time"))
            }
            Err(OutboundError::Transport(cause)) => {
                Answer::Unavailable(format!("{name} call failed: {}", plain_words(&cause)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMS: Api = Api {
        name: "the SMS gateway",
        settings: "sms",
    };

    fn status(status: u16) -> Answer {
        SMS.answer(Ok(OutboundResponse {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }))
    }

    fn reason(answer: Answer) -> (bool, String) {
        match answer {
            Answer::Delivered(response) => panic!("delivered: {response:?}"),
            Answer::Rejected(reason) => (false, reason),
            Answer::Unavailable(reason) => (true, reason),
        }
    }

    #[test]
    fn success_statuses_are_delivered() {
        for code in [200, 201, 202, 204] {
            assert!(matches!(status(code), Answer::Delivered(_)), "{code}");
        }
    }

    #[test]
    fn throttling_timeouts_and_server_errors_are_retryable() {
        for code in [408, 425, 429, 500, 502, 503, 504, 599] {
            let expected = format!("the SMS gateway answered {code}");
            assert_eq!(reason(status(code)), (true, expected));
        }
    }

    #[test]
    fn other_client_errors_and_redirects_are_permanent() {
        for code in [300, 301, 400, 404, 413, 422] {
            let expected = format!("the SMS gateway refused the message ({code})");
            assert_eq!(reason(status(code)), (false, expected));
        }
        for code in [401, 403] {
            let expected = format!("the SMS gateway refused the credentials ({code})");
            assert_eq!(reason(status(code)), (false, expected));
        }
    }

    #[test]
    fn a_status_whose_body_then_failed_counts_as_the_status() {
        let unread = |status| {
            SMS.answer(Err(OutboundError::BodyUnread {
                response: OutboundResponse {
                    status,
                    headers: Vec::new(),
                    body: Vec::new(),
                },
                cause: Box::new(OutboundError::TimedOut),
            }))
        };
        assert!(matches!(unread(202), Answer::Delivered(_)));
        assert_eq!(
            reason(unread(400)),
            (
                false,
                "the SMS gateway refused the message (400)".to_owned()
            )
        );
        assert_eq!(
            reason(unread(503)),
            (true, "the SMS gateway answered 503".to_owned())
        );
    }

    #[test]
    fn failed_calls_are_named_without_url_or_key() {
        let cases = [
            (
                OutboundError::InvalidUrl("https://secret@x".into()),
                (false, "sms_api_url is not an http(s) URL"),
            ),
            (
                OutboundError::Denied,
                (
                    false,
                    "the SMS gateway host is not allowed (see sms_api_origin)",
                ),
            ),
            (
                OutboundError::InvalidHeader,
                (false, "sms_api_key is not a valid header value"),
            ),
            (
                OutboundError::TimedOut,
                (true, "the SMS gateway did not answer in time"),
            ),
            (
                OutboundError::Transport("ErrorCode::ConnectionRefused".into()),
                (true, "the SMS gateway call failed: connection refused"),
            ),
        ];
        for (error, (retry, words)) in cases {
            assert_eq!(reason(SMS.answer(Err(error))), (retry, words.to_owned()));
        }
    }
}
