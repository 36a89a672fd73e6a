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

/// Why a channel takes no notification now. Either way the service
/// stores nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// Not configured on this host: `channel_unavailable`, until an
    /// operator configures it.
    Unconfigured,
    /// Whether it is configured could not be learnt (its provider did not
    /// answer, its settings could not be read): `channel_unreachable`, and
    /// a repeat may find it.
    Unreachable,
}

/// The channels configured on this host.
pub trait Channels {
    /// The channel for `kind`, or why it cannot take a notification now.
    fn channel(&self, kind: ChannelKind) -> Result<&dyn Deliver, Unavailable>;
}
