//! The default SMS provider: exports `seed:notification/sms@0.1.0` and
//! makes one attempt per call through an HTTP SMS gateway, in the request
//! shape of Telnyx's `POST /v2/messages` (a JSON shape several gateways
//! share): `Authorization: Bearer <sms_api_key>` and
//! `{"from": …, "to": "+15551234567", "text": …}`. The subject is not sent:
//! a text message has none.
//!
//! Settings (Spin variables): `sms_api_url`, `sms_api_key` (secret),
//! `sms_from` (a number or an alphanumeric sender id). Any of them unset:
//! the channel is unconfigured.

mod request;

use provider_kit::{Call, CallError, Settings, Verdict, classify_status, is_e164};
use std::time::Duration;

mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        world: "seed:notification/sms-provider",
        generate_all,
    });
}

use bindings::exports::seed::sms::channel::{Guest, Message, Outcome, Readiness};

const SETTINGS: [&str; 3] = ["sms_api_url", "sms_api_key", "sms_from"];

const CONNECT: Duration = Duration::from_secs(2);
const TOTAL: Duration = Duration::from_secs(5);

struct SmsProvider;

impl Guest for SmsProvider {
    fn ready() -> Readiness {
        match Settings::read(&SETTINGS).require_all() {
            Ok(()) => Readiness::Ready,
            Err(missing) => Readiness::Unconfigured(missing),
        }
    }

    fn send(message: Message) -> Outcome {
        if !is_e164(&message.to) {
            return Outcome::Rejected("the recipient is not an E.164 number".to_owned());
        }
        let settings = Settings::read(&SETTINGS);
        let (Some(url), Some(key), Some(from)) = (
            settings.get("sms_api_url"),
            settings.get("sms_api_key"),
            settings.get("sms_from"),
        ) else {
            return Outcome::Unavailable("the sms channel is not configured".to_owned());
        };
        let call = Call {
            url,
            headers: vec![("authorization", format!("Bearer {key}"))],
            body: request::message(from, &message.to, &message.body),
            connect_timeout: CONNECT,
            total_timeout: TOTAL,
        };
        match call.post() {
            Ok(response) => match classify_status(response.status) {
                Verdict::Delivered => Outcome::Delivered(request::receipt(&response)),
                Verdict::Rejected => Outcome::Rejected(match response.status {
                    401 | 403 => format!(
                        "the SMS gateway refused the credentials ({})",
                        response.status
                    ),
                    status => format!("the SMS gateway refused the message ({status})"),
                }),
                Verdict::Unavailable => {
                    Outcome::Unavailable(format!("the SMS gateway answered {}", response.status))
                }
            },
            Err(error) => failure(error),
        }
    }
}

/// Reasons are stored and shown to clients: no URL, no key.
fn failure(error: CallError) -> Outcome {
    match error {
        CallError::InvalidUrl => Outcome::Rejected("sms_api_url is not an http(s) URL".into()),
        CallError::Denied => {
            Outcome::Rejected("the SMS gateway host is not allowed (see sms_api_origin)".into())
        }
        CallError::TimedOut => {
            Outcome::Unavailable("the SMS gateway did not answer in time".into())
        }
        CallError::Transport(what) => {
            Outcome::Unavailable(format!("the SMS gateway call failed: {what}"))
        }
    }
}

bindings::export!(SmsProvider with_types_in bindings);
