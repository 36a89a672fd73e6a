//! The delivery port. Every channel (log, webhook, email, SMS)
//! implements [`Deliver`]; [`Channels`] says which ones this host has.

use crate::fields::ChannelKind;
use crate::notification::{Delivery, Notification};

/// Delivers one notification. Failures are reported in the [`Delivery`]
/// (with a reason fit for clients), never as a panic or an error: the
/// notification is stored either way. Implementations must bound how long
/// they take, retries included.
pub trait Deliver {
    fn deliver(&self, notification: &Notification) -> Delivery;
}

/// The channels configured on this host.
pub trait Channels {
    /// The channel for `kind`, or `None` when it is not configured here
    /// (the service then answers `channel_unavailable` and stores nothing).
    fn channel(&self, kind: ChannelKind) -> Option<&dyn Deliver>;
}
