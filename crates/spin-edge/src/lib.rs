//! Everything HTTP on Spin that the services share, written once so the
//! components stay short and the domain crates never see Spin or HTTP:
//!
//! - the contract: [`ApiError`] (and the one conversion from a domain
//!   error), JSON body intake and typed path/query parameters (`params`),
//!   [`HttpResponse`];
//! - who calls: the internal key and bearer tokens ([`Caller`]);
//! - serving: routing with the contract's 404/405, request ids, trace ids,
//!   access logs and work deferred past the response (`serve`);
//! - Spin's services: the key-value store ([`SpinStore`]), variables
//!   (`config`), bounded outbound HTTP (`outbound`), the health check;
//! - OpenAPI pieces shared by every document (`openapi`).

pub mod access_log;
pub mod body;
pub mod caller;
pub mod config;
pub mod credentials;
pub mod error;
pub mod health;
pub mod health_report;
pub mod json_body;
pub mod kv;
pub mod log;
pub mod openapi;
pub mod outbound;
pub mod params;
pub mod pause;
pub mod request_id;
mod respond;
pub mod response;
pub mod serve;
pub mod streams;
pub mod trace_context;

pub use caller::{Caller, authenticate, require_internal_key};
pub use error::{ApiError, ErrorResponse, FieldError};
pub use json_body::{FieldReader, FromFields};
pub use kv::SpinStore;
pub use response::HttpResponse;
pub use serve::{HandlerResult, RequestContext, Routes, Service};
