//! The domain service built from Spin's parts: the store, the channels this
//! host offers, the wall clock, and a pause that blocks on a WASI clock.

use crate::channels::SpinChannels;
use domain_core::{StoreError, SystemClock};
use notification_domain::NotificationService;
use spin_edge::pause::MonotonicPause;
use spin_edge::{RequestContext, SpinStore};

pub type Notifications = NotificationService<SpinStore, SpinChannels, SystemClock, MonotonicPause>;

/// The service for one request; its outbound calls carry the request's id.
pub fn open(context: &RequestContext) -> Result<Notifications, StoreError> {
    Ok(NotificationService::new(
        SpinStore::open(crate::STORE)?,
        SpinChannels::configured(context),
        SystemClock,
        MonotonicPause,
    ))
}
