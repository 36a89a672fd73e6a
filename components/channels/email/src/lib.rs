//! The default email provider: exports `seed:notification/email@0.1.0` and
//! makes one attempt per call through an HTTP email API, in the request
//! shape of SendGrid's v3 `POST /v3/mail/send` (also accepted by
//! MailChannels' send API and by SendGrid-compatible relays):
//! `Authorization: Bearer <email_api_key>` and
//! `{"personalizations": [{"to": [{"email": …}]}], "from": {"email": …},
//! "subject": …, "content": [{"type": "text/plain", "value": …}],
//! "custom_args": {"notification_id": …}}`.
//!
//! Settings (Spin variables): `email_api_url`, `email_api_key` (secret),
//! `email_from`. Any of them unset: the channel is unconfigured.

mod request;

use provider_kit::{Call, CallError, Settings, Verdict, classify_status};
use std::time::Duration;

mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        world: "seed:notification/email-provider",
        generate_all,
    });
}

use bindings::exports::seed::email::channel::{Guest, Message, Outcome, Readiness};

const SETTINGS: [&str; 3] = ["email_api_url", "email_api_key", "email_from"];

/// One attempt stays well inside the notification service's budget (three
/// attempts and their back-off).
const CONNECT: Duration = Duration::from_secs(2);
const TOTAL: Duration = Duration::from_secs(5);

struct EmailProvider;

impl Guest for EmailProvider {
    fn ready() -> Readiness {
        match Settings::read(&SETTINGS).require_all() {
            Ok(()) => Readiness::Ready,
            Err(missing) => Readiness::Unconfigured(missing),
        }
    }

    fn send(message: Message) -> Outcome {
        let settings = Settings::read(&SETTINGS);
        let (Some(url), Some(key), Some(from)) = (
            settings.get("email_api_url"),
            settings.get("email_api_key"),
            settings.get("email_from"),
        ) else {
            return Outcome::Unavailable("the email channel is not configured".to_owned());
        };
        let body = request::mail_send(
            &message.id,
            &message.to,
            from,
            message.subject.as_deref(),
            &message.body,
        );
        let call = Call {
            url,
            headers: vec![("authorization", format!("Bearer {key}"))],
            body,
            connect_timeout: CONNECT,
            total_timeout: TOTAL,
        };
        match call.post() {
            Ok(response) => match classify_status(response.status) {
                Verdict::Delivered => Outcome::Delivered(request::receipt(&response)),
                Verdict::Rejected => Outcome::Rejected(refusal(response.status)),
                Verdict::Unavailable => {
                    Outcome::Unavailable(format!("the email API answered {}", response.status))
                }
            },
            Err(error) => failure(error),
        }
    }
}

fn refusal(status: u16) -> String {
    match status {
        401 | 403 => format!("the email API refused the credentials ({status})"),
        _ => format!("the email API refused the message ({status})"),
    }
}

/// Reasons are stored and shown to clients: no URL, no key.
fn failure(error: CallError) -> Outcome {
    match error {
        CallError::InvalidUrl => Outcome::Rejected("email_api_url is not an http(s) URL".into()),
        CallError::Denied => {
            Outcome::Rejected("the email API host is not allowed (see email_api_origin)".into())
        }
        CallError::TimedOut => Outcome::Unavailable("the email API did not answer in time".into()),
        CallError::Transport(what) => {
            Outcome::Unavailable(format!("the email API call failed: {what}"))
        }
    }
}

bindings::export!(EmailProvider with_types_in bindings);
