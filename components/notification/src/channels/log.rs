//! The `log` channel: the seed's simulated delivery, one JSON line on
//! standard output. Stdout carries only deliveries; logs go to stderr.

use domain_core::{Timestamp, UserId};
use notification_domain::{
    ChannelKind, Deliver, Delivery, Message, Notification, NotificationId, Subject,
};
use serde::Serialize;
use std::io::Write;

pub struct StdoutLog {
    request_id: String,
}

impl StdoutLog {
    pub fn new(request_id: &str) -> Self {
        Self {
            request_id: request_id.to_owned(),
        }
    }
}

/// What the line names: the notification, its user and its text. Not its
/// metadata, which may carry anything and which Spin exports with the
/// component's output when telemetry is on.
#[derive(Serialize)]
struct DeliveredLine<'a> {
    event: &'static str,
    request_id: &'a str,
    notification_id: NotificationId,
    user_id: &'a UserId,
    channel: ChannelKind,
    subject: Option<&'a Subject>,
    message: &'a Message,
    created_at: &'a Timestamp,
}

impl Deliver for StdoutLog {
    fn deliver(&self, notification: &Notification) -> Delivery {
        let line = DeliveredLine {
            event: "notification_delivered",
            request_id: &self.request_id,
            notification_id: notification.notification_id,
            user_id: &notification.user_id,
            channel: notification.channel,
            subject: notification.subject.as_ref(),
            message: &notification.message,
            created_at: &notification.created_at,
        };
        let line = serde_json::to_string(&line).expect("the line always serializes");
        let mut stdout = std::io::stdout().lock();
        match writeln!(stdout, "{line}").and_then(|()| stdout.flush()) {
            Ok(()) => Delivery::delivered(1),
            Err(_) => Delivery::failed(1, "standard output is not writable"),
        }
    }
}
