//! The channels this host offers. `log` and `webhook` are built in; `email`
//! and `sms` are provider components behind the interfaces of `wit/`, in
//! the `channels` component. A new channel is one more adapter here behind
//! `Deliver`; the route handlers never name a channel.

mod log;
mod provider;
mod webhook;

use notification_domain::{
    ChannelKind, Channels, Deliver, ProviderChannel, Unavailable, WebhookChannel, webhook_target,
};
use provider::{ChannelsComponent, NotReady};
use spin_edge::RequestContext;
use spin_edge::pause::MonotonicPause;
use std::cell::OnceCell;

type ProviderDelivery = ProviderChannel<ChannelsComponent, MonotonicPause>;
type WebhookDelivery = WebhookChannel<webhook::SpinWebhook, MonotonicPause>;

pub struct SpinChannels {
    context: RequestContext,
    log: log::StdoutLog,
    // Each looked up lazily (a variable read, a call to the channels
    // component): only a notification on that channel needs it, and reads
    // need none.
    webhook: OnceCell<Result<WebhookDelivery, Unavailable>>,
    email: OnceCell<Result<ProviderDelivery, Unavailable>>,
    sms: OnceCell<Result<ProviderDelivery, Unavailable>>,
}

impl SpinChannels {
    /// The log channel always; the webhook channel when `webhook_url` is set
    /// and `webhook_origin` allows it; email and SMS when their provider
    /// says it is configured.
    /// Outbound calls carry the request's id, and why a channel is not
    /// offered goes to the request's log.
    pub fn configured(context: &RequestContext) -> Self {
        Self {
            context: context.clone(),
            log: log::StdoutLog::new(&context.request_id),
            webhook: OnceCell::new(),
            email: OnceCell::new(),
            sms: OnceCell::new(),
        }
    }

    fn webhook(&self) -> Result<WebhookDelivery, Unavailable> {
        let read = |name| {
            spin_edge::config::variable(name)
                .map(Option::unwrap_or_default)
                .map_err(|error| {
                    let cause = error.cause().unwrap_or_default();
                    self.unavailable(ChannelKind::Webhook, NotReady::Unreachable(cause.into()))
                })
        };
        let url = read("webhook_url")?;
        // Without a URL its origin does not matter, and is not looked up.
        let origin = match url.trim() {
            "" => String::new(),
            _ => read("webhook_origin")?,
        };
        // A URL the component may not post to is the operator's to fix, as
        // an unset one is: no delivery could succeed.
        let url = webhook_target(&url, &origin).map_err(|why| {
            self.unavailable(
                ChannelKind::Webhook,
                NotReady::Unconfigured(why.to_string()),
            )
        })?;
        Ok(WebhookChannel::new(
            webhook::SpinWebhook::new(url, &self.context.request_id),
            MonotonicPause,
        ))
    }

    fn provider(&self, kind: ChannelKind) -> Result<ProviderDelivery, Unavailable> {
        let provider = ChannelsComponent::new(kind, &self.context.request_id);
        match provider.readiness() {
            Ok(()) => Ok(ProviderChannel::new(provider, MonotonicPause)),
            Err(why) => Err(self.unavailable(kind, why)),
        }
    }

    /// The operator learns why from the log; the client gets
    /// `channel_unavailable`, or `channel_unreachable` when a repeat may do.
    fn unavailable(&self, kind: ChannelKind, why: NotReady) -> Unavailable {
        let (event, reason, unavailable) = match why {
            NotReady::Unconfigured(missing) => {
                ("channel_unconfigured", missing, Unavailable::Unconfigured)
            }
            NotReady::Unreachable(cause) => {
                ("channel_unreachable", cause, Unavailable::Unreachable)
            }
        };
        self.context.log(
            event,
            serde_json::json!({"channel": kind.as_str(), "reason": reason}),
        );
        unavailable
    }
}

impl Channels for SpinChannels {
    fn channel(&self, kind: ChannelKind) -> Result<&dyn Deliver, Unavailable> {
        match kind {
            ChannelKind::Log => Ok(&self.log),
            ChannelKind::Webhook => offered(self.webhook.get_or_init(|| self.webhook())),
            ChannelKind::Email => offered(self.email.get_or_init(|| self.provider(kind))),
            ChannelKind::Sms => offered(self.sms.get_or_init(|| self.provider(kind))),
        }
    }
}

/// A channel as looked up once per request, as the port hands it out.
fn offered<T: Deliver>(looked_up: &Result<T, Unavailable>) -> Result<&dyn Deliver, Unavailable> {
    looked_up
        .as_ref()
        .map(|channel| channel as &dyn Deliver)
        .map_err(|why| *why)
}
