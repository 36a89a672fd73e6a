//! The domain service wired to Spin: its store, channels, clock and pause.

use crate::channels::SpinChannels;
use crate::pause::MonotonicPause;
use domain_core::SystemClock;
use notification_domain::NotificationService;
use spin_edge::ApiError;
use spin_edge::{RequestContext, SpinStore};

pub type Notifications = NotificationService<SpinStore, SpinChannels, SystemClock, MonotonicPause>;

pub fn open(context: &RequestContext) -> Result<Notifications, ApiError> {
    let store = SpinStore::open(crate::STORE).map_err(|error| ApiError::unexpected(error))?;
    Ok(NotificationService::new(
        store,
        SpinChannels::configured(&context.request_id),
        SystemClock,
        MonotonicPause,
    ))
}
