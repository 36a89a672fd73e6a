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

use provider_kit::{Answer, Api, Settings};

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
        // Settings that cannot be read are not unconfigured, and the
        // readiness variants cannot say so: the trap fails the channels
        // instance, and the notification service answers
        // `channel_unreachable`, storing nothing, so that a repeat may do.
        let settings = Settings::read(&SETTINGS).unwrap_or_else(|cause| panic!("{cause}"));
        match settings.require_all() {
            Ok(()) => Readiness::Ready,
            Err(missing) => Readiness::Unconfigured(missing),
        }
    }

    fn send(message: Message) -> Outcome {
        if !request::is_e164(&message.to) {
            return Outcome::Rejected("the recipient is not an E.164 number".to_owned());
        }
        let Ok(settings) = Settings::read(&SETTINGS) else {
            return Outcome::Unavailable("the sms settings could not be read".to_owned());
        };
        let (Some(url), Some(key), Some(from)) = (
            settings.get("sms_api_url"),
            settings.get("sms_api_key"),
            settings.get("sms_from"),
        ) else {
            return Outcome::Unavailable("the sms channel is not configured".to_owned());
        };
        let body = request::message(from, &message.to, &message.body);
        match SMS_GATEWAY.post(url, key, body) {
            Answer::Delivered(response) => Outcome::Delivered(request::receipt(&response)),
            Answer::Rejected(reason) => Outcome::Rejected(reason),
            Answer::Unavailable(reason) => Outcome::Unavailable(reason),
        }
    }
}

bindings::export!(SmsProvider with_types_in bindings);
