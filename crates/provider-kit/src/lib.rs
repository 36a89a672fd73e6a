//! What the default channel providers (`components/channels/*`) share. Each
//! provider is its own component exporting one interface of `wit/`; this
//! crate keeps them small: read settings, make one bounded HTTP call, and
//! classify the answer the way the notification service expects.

mod account;
mod answer_body;
mod api;
mod receipt;
mod settings;

pub use account::{Account, account, readiness};
pub use answer_body::Members;
pub use api::{Answer, Api};
pub use receipt::{MAX_RECEIPT_CHARS, receipt};
pub use settings::Settings;
pub use spin_edge::outbound::OutboundResponse;
