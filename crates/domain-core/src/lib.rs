//! What the services' domains share, free of Spin and of HTTP so it
//! unit-tests natively: the key-value and clock ports (with an in-memory
//! store, a manual clock and [`race`] for tests), the user id every service accepts,
//! free-form metadata, one digest, one shape of a broken rule
//! ([`Invalid`]), the kinds of failure an adapter answers ([`Failure`]), and
//! the list of actions the system itself emits.

pub mod clock;
pub mod digest;
pub mod failure;
pub mod invalid;
pub mod kv;
mod metadata;
mod page_limit;
mod pause;
pub mod race;
pub mod system_actions;
mod user_id;
mod whole_number;

pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use digest::sha256_hex;
pub use failure::{DomainError, Failure};
pub use invalid::Invalid;
pub use kv::{KeyValueStore, StoreError};
pub use metadata::Metadata;
pub use page_limit::PageLimit;
pub use pause::Pause;
pub use race::race;
pub use user_id::UserId;
pub use whole_number::parse_whole_number;
