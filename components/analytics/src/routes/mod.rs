pub mod events;
pub mod metrics;
