//! What the default channel providers (`components/channels/*`) share. Each
//! provider is its own component exporting one interface of `wit/`; this
//! crate keeps them small: read settings, make one bounded HTTP call, and
//! classify the answer the way the notification service expects.

pub mod classify;
pub mod http_call;
pub mod settings;

pub use classify::{Verdict, classify_status, is_e164};
pub use http_call::{Call, CallError, Response};
pub use settings::Settings;
