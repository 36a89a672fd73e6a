//! The default email provider: exports `seed:email/channel@0.1.0` and
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

use provider_kit::{Answer, Api};

mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        world: "seed:notification/email-provider",
        generate_all,
    });
}

use bindings::exports::seed::email::channel::{Guest, Message, Outcome, Readiness};

const SETTINGS: [&str; 3] = ["email_api_url", "email_api_key", "email_from"];

const EMAIL_API: Api = Api {
    name: "the email API",
    settings: "email",
};

struct EmailProvider;

impl Guest for EmailProvider {
    fn ready() -> Readiness {
        match provider_kit::readiness(&SETTINGS) {
            Ok(()) => Readiness::Ready,
            Err(missing) => Readiness::Unconfigured(missing),
        }
    }

    fn send(message: Message) -> Outcome {
        let account = match provider_kit::account(&SETTINGS, "email") {
            Ok(account) => account,
            Err(reason) => return Outcome::Unavailable(reason),
        };
        let body = request::mail_send(
            &message.id,
            &message.to,
            &account.from,
            message.subject.as_deref(),
            &message.body,
        );
        match EMAIL_API.post(&account.url, &account.key, body) {
            Answer::Delivered(response) => Outcome::Delivered(request::receipt(&response)),
            Answer::Rejected(reason) => Outcome::Rejected(reason),
            Answer::Unavailable(reason) => Outcome::Unavailable(reason),
        }
    }
}

bindings::export!(EmailProvider with_types_in bindings);
