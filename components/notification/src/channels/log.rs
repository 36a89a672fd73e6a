//! The `log` channel: the seed's simulated delivery, one JSON line on
//! standard output. Stdout carries only deliveries; logs go to stderr.

use notification_domain::{Deliver, Delivery, Notification};
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

impl Deliver for StdoutLog {
    fn deliver(&self, notification: &Notification) -> Delivery {
        let mut line = serde_json::to_value(notification).expect("notifications always serialize");
        line["event"] = "notification_delivered".into();
        line["request_id"] = self.request_id.clone().into();
        let mut stdout = std::io::stdout().lock();
        match writeln!(stdout, "{line}").and_then(|()| stdout.flush()) {
            Ok(()) => Delivery::delivered(1),
            Err(_) => Delivery::failed(1, "standard output is not writable"),
        }
    }
}
