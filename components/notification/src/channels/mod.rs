//! The channels this host offers. `log` and `webhook` are built in; `email`
//! and `sms` are provider components behind the interfaces of `wit/`, in
//! the `channels` component. A new channel is one more adapter here behind
//! `Deliver`; the route handlers never name a channel.

mod log;
mod provider;
mod webhook;

use crate::service::MonotonicPause;
use notification_domain::{ChannelKind, Channels, Deliver, ProviderChannel, WebhookChannel};
use provider::ChannelsComponent;
use std::cell::OnceCell;

type ProviderDelivery = ProviderChannel<ChannelsComponent, MonotonicPause>;

pub struct SpinChannels {
    request_id: String,
    log: log::StdoutLog,
    // Each looked up lazily (a variable read, a call to the channels
    // component): only a notification on that channel needs it, and reads
    // need none.
    webhook: OnceCell<Option<WebhookChannel<webhook::SpinWebhook, MonotonicPause>>>,
    email: OnceCell<Option<ProviderDelivery>>,
    sms: OnceCell<Option<ProviderDelivery>>,
}

impl SpinChannels {
    /// The log channel always; the webhook channel when `webhook_url` is set;
    /// email and SMS when their provider says it is configured.
    /// Outbound calls carry `request_id`.
    pub fn configured(request_id: &str) -> Self {
        Self {
            request_id: request_id.to_owned(),
            log: log::StdoutLog::new(request_id),
            webhook: OnceCell::new(),
            email: OnceCell::new(),
            sms: OnceCell::new(),
        }
    }

    fn webhook(&self) -> Option<WebhookChannel<webhook::SpinWebhook, MonotonicPause>> {
        // A provider that cannot say leaves the channel unavailable (503),
        // as an unset URL does; the cause goes to the log.
        let url = match spin_edge::config::variable("webhook_url") {
            Ok(url) => url?,
            Err(error) => {
                self.unconfigured(ChannelKind::Webhook, error.cause().unwrap_or_default());
                return None;
            }
        };
        let url = url.trim();
        (!url.is_empty()).then(|| {
            WebhookChannel::new(
                webhook::SpinWebhook::new(url.to_owned(), &self.request_id),
                MonotonicPause,
            )
        })
    }

    fn provider(&self, kind: ChannelKind) -> Option<ProviderDelivery> {
        let provider = ChannelsComponent::new(kind, &self.request_id);
        match provider.readiness() {
            Ok(()) => Some(ProviderChannel::new(provider, MonotonicPause)),
            Err(missing) => {
                self.unconfigured(kind, &missing);
                None
            }
        }
    }

    /// The operator learns why; the client gets channel_unavailable.
    fn unconfigured(&self, kind: ChannelKind, reason: &str) {
        let line = serde_json::json!({
            "event": "channel_unconfigured",
            "channel": kind.as_str(),
            "reason": reason,
            "request_id": self.request_id,
        });
        spin_edge::log::emit(&line.to_string());
    }
}

impl Channels for SpinChannels {
    fn channel(&self, kind: ChannelKind) -> Option<&dyn Deliver> {
        match kind {
            ChannelKind::Log => Some(&self.log),
            ChannelKind::Webhook => self
                .webhook
                .get_or_init(|| self.webhook())
                .as_ref()
                .map(|w| w as &dyn Deliver),
            ChannelKind::Email => self
                .email
                .get_or_init(|| self.provider(kind))
                .as_ref()
                .map(|c| c as &dyn Deliver),
            ChannelKind::Sms => self
                .sms
                .get_or_init(|| self.provider(kind))
                .as_ref()
                .map(|c| c as &dyn Deliver),
        }
    }
}
