//! What the tests share: submissions, a clock that stands still, and
//! services over one shared store (several instances, or "restarts").

#![allow(dead_code)]

use analytics_domain::{Action, Analytics, EventId, Sender, Submission};
use domain_core::kv::InMemoryStore;
use domain_core::{ManualClock, Metadata, Pause, Timestamp, UserId};
use std::time::Duration;

/// What the service's clock says.
pub fn now() -> Timestamp {
    Timestamp::from_unix_seconds(1_795_536_000)
}

/// A service as the tests run it.
pub type Service<'a> = Analytics<&'a InMemoryStore, ManualClock, ThreadSleep>;

/// Waits as a component does, with the thread.
pub struct ThreadSleep;

impl Pause for ThreadSleep {
    fn pause(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// One of possibly many service instances over a shared store.
pub fn service(store: &InMemoryStore) -> Service<'_> {
    Analytics::new(store, ManualClock::at(now()), ThreadSleep)
}

/// Runs `racer` on `racers` threads released at once, each given its own
/// service over `store` (a concurrent Spin instance) and its number;
/// gives their results in that order.
pub fn race<T: Send>(
    store: &InMemoryStore,
    racers: usize,
    racer: impl Fn(&Service<'_>, usize) -> T + Sync,
) -> Vec<T> {
    domain_core::race(racers, |n| racer(&service(store), n))
}

/// Both of Spin's counter encodings, each operation yielding first, so
/// that threads interleave between a request's store operations as
/// concurrent Spin instances would.
pub fn stores() -> [InMemoryStore; 2] {
    [
        InMemoryStore::sqlite_like().interleaved(),
        InMemoryStore::redis_like().interleaved(),
    ]
}

pub fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

pub fn action(name: &str) -> Action {
    Action::parse(name.to_owned()).unwrap()
}

pub fn event(id: Option<EventId>, user_id: &str, action_name: &str) -> Submission {
    Submission {
        event_id: id,
        user_id: user(user_id),
        action: action(action_name),
        timestamp: None,
        metadata: Metadata::default(),
    }
}

/// A new event (fresh id) of `user_id` doing `action_name`.
pub fn fresh(user_id: &str, action_name: &str) -> Submission {
    event(Some(EventId::generate()), user_id, action_name)
}

/// A user's bearer token, as the component turns it into a sender.
pub fn bearer(user_id: &str) -> Sender {
    Sender::User(user(user_id))
}

/// The store keys a test names exactly (the layout README.md documents).
pub mod keys {
    use domain_core::sha256_hex;

    pub fn claim(user: &str, id: &analytics_domain::EventId) -> String {
        format!("event:{}/{id}", sha256_hex(user))
    }

    pub fn action_count(action: &str) -> String {
        format!("count:action:{action}")
    }

    pub fn user_count(user: &str, action: &str) -> String {
        format!("count:user:{action}/{}", sha256_hex(user))
    }

    pub fn quota(user: &str) -> String {
        format!("quota:new-actions:{}", sha256_hex(user))
    }

    pub const USER_SLOTS: &str = "actions:user-slots";
    pub const USER_SLOTS_START: &str = "actions:user-slots:start";

    pub const TOTAL: &str = "count:total";
    pub const SLOTS: &str = "actions:slots";

    pub fn name_claim(action: &str) -> String {
        format!("actions:name:{action}")
    }

    pub fn slot(slot: u64) -> String {
        format!("actions:slot:{slot}")
    }
}
