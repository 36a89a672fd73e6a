//! The email and SMS channels: the interfaces of `wit/` imported from
//! provider components that Spin links in as component dependencies
//! (`[component.notification.dependencies]` in spin.toml). The provider
//! makes one attempt; retries and back-off stay in the domain.

use notification_domain::{Attempt, Notification, Provider};

mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
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
    /// `Err(what is missing)` when the provider is not configured.
    pub fn readiness(self) -> Result<(), String> {
        // The two interfaces declare the same types, each its own copy.
        match self {
            Self::Email => match email::ready() {
                email::Readiness::Ready => Ok(()),
                email::Readiness::Unconfigured(missing) => Err(missing),
            },
            Self::Sms => match sms::ready() {
                sms::Readiness::Ready => Ok(()),
                sms::Readiness::Unconfigured(missing) => Err(missing),
            },
        }
    }
}

impl Provider for Imported {
    fn attempt(&self, notification: &Notification) -> Attempt {
        let fields = Fields::of(notification);
        match self {
            Self::Email => match email::send(&fields.into()) {
                email::Outcome::Delivered(receipt) => Attempt::Delivered(receipt),
                email::Outcome::Rejected(reason) => Attempt::Rejected(reason),
                email::Outcome::Unavailable(reason) => Attempt::Unavailable(reason),
            },
            Self::Sms => match sms::send(&fields.into()) {
                sms::Outcome::Delivered(receipt) => Attempt::Delivered(receipt),
                sms::Outcome::Rejected(reason) => Attempt::Rejected(reason),
                sms::Outcome::Unavailable(reason) => Attempt::Unavailable(reason),
            },
        }
    }
}

/// The WIT `message` record's fields, once for both interfaces.
struct Fields {
    id: String,
    user_id: String,
    to: String,
    subject: Option<String>,
    body: String,
}

impl Fields {
    fn of(notification: &Notification) -> Self {
        Self {
            id: notification.notification_id.to_string(),
            user_id: notification.user_id.as_str().to_owned(),
            // The domain builds email and SMS notifications only with a recipient.
            to: notification
                .to
                .as_ref()
                .map(|to| to.as_str().to_owned())
                .unwrap_or_default(),
            subject: notification.subject.as_ref().map(|s| s.as_str().to_owned()),
            body: notification.message.as_str().to_owned(),
        }
    }
}

macro_rules! into_message {
    ($interface:ident) => {
        impl From<Fields> for $interface::Message {
            fn from(f: Fields) -> Self {
                Self {
                    id: f.id,
                    user_id: f.user_id,
                    to: f.to,
                    subject: f.subject,
                    body: f.body,
                }
            }
        }
    };
}

into_message!(email);
into_message!(sms);
