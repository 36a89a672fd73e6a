//! Analytics, free of Spin types: validated events, counting each event id
//! exactly once with nothing but atomic increments, and per-action metrics
//! whose cost is bounded by the number of distinct actions, never by the
//! number of events or users. See README.md for the store operations each
//! use case performs.

mod client;
mod counts;
mod error;
mod event;
mod index;
mod keys;
mod sender;
mod service;

pub use client::{ClientActions, ClientActionsError, USER_ACTION_SLOTS, USER_NEW_ACTIONS};
pub use counts::ActionCounts;
pub use error::{RecordError, Unexpected};
pub use event::{Action, EventId};
pub use index::MAX_ACTIONS;
pub use sender::{Sender, SubjectError};
pub use service::{Analytics, Event, Recording, Submission};
