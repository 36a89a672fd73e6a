//! The notification service: deliver through a channel (within the
//! recipient's budget on email and SMS), store the record and the user's
//! index entry, honour idempotency keys; read records back.

use crate::budget::{self, BUDGET_SPENT};
use crate::channel::{Channels, Deliver, Unavailable};
use crate::error::{NotifyError, StorageError};
use crate::fields::{IdempotencyKey, NotificationId};
use crate::idempotency::{Claim, Found, Ticket};
use crate::notification::{Delivery, Notification, NotificationRecord, NotifyRequest, Receipt};
use crate::records;
use domain_core::PageLimit;
use domain_core::Pause;
use domain_core::{Clock, KeyValueStore, UserId};

/// What `notify` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notified {
    /// Delivered (or tried to) and stored now.
    Created(Receipt),
    /// A repeat of an idempotency key: the first request's receipt.
    Repeated(Receipt),
}

/// Generic over its ports: the store, the channels, the clock and a way to
/// wait (for a repeat that meets a delivery in progress).
pub struct NotificationService<S, C, K, P> {
    store: S,
    channels: C,
    clock: K,
    pause: P,
}

impl<S, C, K, P> NotificationService<S, C, K, P>
where
    S: KeyValueStore,
    C: Channels,
    K: Clock,
    P: Pause,
{
    pub fn new(store: S, channels: C, clock: K, pause: P) -> Self {
        Self {
            store,
            channels,
            clock,
            pause,
        }
    }

    /// Delivers `request` and stores it, once per idempotency key.
    ///
    /// The record is written after the delivery: a store failure then
    /// answers an error although the channel delivered, and frees the key,
    /// so a retry may deliver again (at least once, never silently lost).
    pub fn notify(
        &self,
        request: NotifyRequest,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<Notified, NotifyError> {
        // A finished key answers from one read, before any write.
        let ticket = match idempotency_key {
            None => None,
            Some(key) => match Ticket::find(key, &self.store)? {
                Found::Finished(receipt) => return Ok(Notified::Repeated(receipt)),
                Found::Unfinished(ticket) => Some(ticket),
            },
        };
        let channel = self
            .channels
            .channel(request.channel)
            .map_err(|why| match why {
                Unavailable::Unconfigured => NotifyError::ChannelUnavailable(request.channel),
                Unavailable::Unreachable => NotifyError::ChannelUnreachable(request.channel),
            })?;
        let Some(mut ticket) = ticket else {
            return Ok(Notified::Created(self.deliver(channel, request, None)?));
        };
        if let Claim::Done(receipt) = ticket.claim(&self.store, &self.clock, &self.pause)? {
            return Ok(Notified::Repeated(receipt));
        }
        self.deliver(channel, request, Some(&ticket))
            .map(Notified::Created)
            .inspect_err(|_| {
                // Best effort: if the store is down this fails too, and the
                // claim's lease frees the key later.
                let _ = ticket.release(&self.store);
            })
    }

    fn deliver(
        &self,
        channel: &dyn Deliver,
        request: NotifyRequest,
        ticket: Option<&Ticket>,
    ) -> Result<Receipt, NotifyError> {
        let mut notification = Notification::new(request, self.clock.now());
        // Charged here, after the idempotency claim: only a request that
        // would deliver spends the budget, never a repeat of its key.
        let within_budget = budget::admit(&self.store, &notification)?;
        let place = records::reserve(&self.store, &notification.user_id)?;
        // Stamped again once numbered: the listing is in the order of the
        // numbers, and a busy store may keep a request waiting seconds for
        // its number while later ones get theirs; stamped before, "newest
        // first" would not hold for `created_at`.
        notification.created_at = self.clock.now();
        // A spent budget is a final failure, stored and answered like a
        // provider's rejection, so that no sender retries it into a later
        // hour.
        let delivery = if within_budget {
            channel.deliver(&notification)
        } else {
            Delivery::failed(0, BUDGET_SPENT)
        };
        let record = NotificationRecord::new(notification, delivery);
        let receipt = record.receipt();
        let extra = ticket
            .map(|ticket| vec![ticket.done_entry(&receipt)])
            .unwrap_or_default();
        records::save(&self.store, &record, &place, extra)?;
        Ok(receipt)
    }

    /// The stored record of `id`.
    pub fn get(&self, id: &NotificationId) -> Result<Option<NotificationRecord>, StorageError> {
        records::load(&self.store, id)
    }

    /// The user's newest notifications, newest first (at most
    /// [`records::INDEX_SLOTS`] are remembered).
    pub fn recent(
        &self,
        user_id: &UserId,
        limit: PageLimit,
    ) -> Result<Vec<NotificationRecord>, StorageError> {
        records::recent(&self.store, user_id, limit)
    }
}
