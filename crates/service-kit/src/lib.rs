//! What every service of the application needs, free of Spin types so it
//! unit-tests natively: the contract's error shape, request ids, JSON body
//! intake, credential checks, the health report, one access-log line per
//! request (with its trace id when the request carries one), the clock, and the key-value port every service stores through.

pub mod access_log;
pub mod clock;
pub mod credentials;
pub mod error;
pub mod health;
pub mod json_body;
pub mod kv;
pub mod request_id;
pub mod response;
pub mod system_actions;
pub mod trace_context;

pub use clock::{Clock, SystemClock, Timestamp};
pub use error::{ApiError, FieldError};
pub use json_body::{FieldReader, JsonIntake};
pub use kv::{KeyValueStore, StoreError};
pub use request_id::RequestId;
pub use response::HttpResponse;
