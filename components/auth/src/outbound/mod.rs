//! Calls the auth service makes to other services.

mod delivery;

pub use delivery::HttpDelivery;
