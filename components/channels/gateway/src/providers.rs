//! The imported channel interfaces of `wit/`, one provider component each.
//! The provider makes one attempt; retries and back-off stay with the
//! notification service.

use notification_domain::{Attempt, ProviderMessage, Readiness};

mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        world: "seed:notification/channels",
        generate_all,
    });
}

use bindings::seed::email::channel as email;
use bindings::seed::sms::channel as sms;

/// Which imported interface to call.
#[derive(Debug, Clone, Copy)]
pub enum Imported {
    Email,
    Sms,
}

impl Imported {
    /// The provider of the channel named in the route.
    pub fn named(channel: &str) -> Option<Self> {
        match channel {
            "email" => Some(Self::Email),
            "sms" => Some(Self::Sms),
            _ => None,
        }
    }

    pub fn readiness(self) -> Readiness {
        // The two interfaces declare the same types, each its own copy.
        match self {
            Self::Email => match email::ready() {
                email::Readiness::Ready => Readiness::Ready,
                email::Readiness::Unconfigured(missing) => Readiness::Unconfigured(missing),
            },
            Self::Sms => match sms::ready() {
                sms::Readiness::Ready => Readiness::Ready,
                sms::Readiness::Unconfigured(missing) => Readiness::Unconfigured(missing),
            },
        }
    }

    pub fn send(self, message: ProviderMessage) -> Attempt {
        match self {
            Self::Email => match email::send(&message.into()) {
                email::Outcome::Delivered(receipt) => Attempt::Delivered(receipt),
                email::Outcome::Rejected(reason) => Attempt::Rejected(reason),
                email::Outcome::Unavailable(reason) => Attempt::Unavailable(reason),
            },
            Self::Sms => match sms::send(&message.into()) {
                sms::Outcome::Delivered(receipt) => Attempt::Delivered(receipt),
                sms::Outcome::Rejected(reason) => Attempt::Rejected(reason),
                sms::Outcome::Unavailable(reason) => Attempt::Unavailable(reason),
            },
        }
    }
}

macro_rules! into_message {
    ($interface:ident) => {
        impl From<ProviderMessage> for $interface::Message {
            fn from(m: ProviderMessage) -> Self {
                Self {
                    id: m.id,
                    user_id: m.user_id,
                    to: m.to,
                    subject: m.subject,
                    body: m.body,
                }
            }
        }
    };
}

into_message!(email);
into_message!(sms);
