//! The edge between Spin and the services. Everything here wraps a Spin API
//! once, so the components stay short and the domain crates never see Spin.

pub mod after_response;
pub mod caller;
pub mod config;
pub mod health;
pub mod kv;
pub mod log;
pub mod openapi;
pub mod outbound;
pub mod params;
pub mod serve;

pub use caller::{Caller, authenticate, require_internal_key};
pub use kv::SpinStore;
pub use serve::{RequestContext, Routes, Service};
