//! The channels this host offers. A new channel is one more adapter here
//! behind `Deliver`; the route handlers never name a channel.

mod log;
mod webhook;

use crate::pause::MonotonicPause;
use notification_domain::{ChannelKind, Channels, Deliver, RetryPolicy, WebhookChannel};

pub struct SpinChannels {
    log: log::StdoutLog,
    webhook: Option<WebhookChannel<webhook::SpinWebhook, MonotonicPause>>,
}

impl SpinChannels {
    /// The log channel always; the webhook channel when `webhook_url` is set.
    /// Outbound calls carry `request_id`.
    pub fn configured(request_id: &str) -> Self {
        let webhook = spin_kit::config::variable("webhook_url")
            .map(|url| url.trim().to_owned())
            .filter(|url| !url.is_empty())
            .map(|url| {
                WebhookChannel::new(
                    webhook::SpinWebhook::new(url, request_id),
                    MonotonicPause,
                    RetryPolicy::DEFAULT,
                )
            });
        Self {
            log: log::StdoutLog::new(request_id),
            webhook,
        }
    }
}

impl Channels for SpinChannels {
    fn channel(&self, kind: ChannelKind) -> Option<&dyn Deliver> {
        match kind {
            ChannelKind::Log => Some(&self.log),
            ChannelKind::Webhook => self.webhook.as_ref().map(|w| w as &dyn Deliver),
        }
    }
}
