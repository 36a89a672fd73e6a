//! The default SMS provider: exports `seed:sms/channel@0.1.0` and
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

use provider_kit::{Answer, Api};

mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        world: "seed:notification/sms-provider",
        generate_all,
    });
}

use bindings::exports::seed::sms::channel::{Guest, Message, Outcome, Readiness};

const SETTINGS: [&str; 3] = ["sms_api_url", "sms_api_key", "sms_from"];

const SMS_GATEWAY: Api = Api {
    name: "the SMS gateway",
    settings: "sms",
};

struct SmsProvider;

impl Guest for SmsProvider {
    fn ready() -> Readiness {
        match provider_kit::readiness(&SETTINGS) {
            Ok(()) => Readiness::Ready,
            Err(missing) => Readiness::Unconfigured(missing),
        }
    }

    fn send(message: Message) -> Outcome {
        if !request::is_e164(&message.to) {
            return Outcome::Rejected("the recipient is not an E.164 number".to_owned());
        }
        let account = match provider_kit::account(&SETTINGS, "sms") {
            Ok(account) => account,
            Err(reason) => return Outcome::Unavailable(reason),
        };
        let body = request::message(&account.from, &message.to, &message.body);
        match SMS_GATEWAY.post(&account.url, &account.key, body) {
            Answer::Delivered(response) => Outcome::Delivered(request::receipt(&response)),
            Answer::Rejected(reason) => Outcome::Rejected(reason),
            Answer::Unavailable(reason) => Outcome::Unavailable(reason),
        }
    }
}

bindings::export!(SmsProvider with_types_in bindings);
