//! The domain service built from Spin's parts: the store, the channels this
//! host offers, the wall clock, and a pause that blocks on a WASI clock.

use crate::channels::SpinChannels;
use domain_core::{StoreError, SystemClock};
use notification_domain::{NotificationService, Pause};
use spin_edge::{RequestContext, SpinStore};
use std::time::Duration;

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

/// Waiting inside a component: WASI has no thread sleep, so block on a
/// monotonic-clock pollable.
#[derive(Debug, Clone, Copy, Default)]
pub struct MonotonicPause;

impl Pause for MonotonicPause {
    fn pause(&self, duration: Duration) {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        wasi::clocks::monotonic_clock::subscribe_duration(nanos).block();
    }
}
