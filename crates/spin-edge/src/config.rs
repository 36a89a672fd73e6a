//! Spin variables the services read.

use crate::error::ApiError;

/// The component variable `name`, or `None` when it is undefined.
pub fn variable(name: &str) -> Option<String> {
    spin_sdk::variables::get(name).ok()
}

/// A variable that must be set for the service to work; its absence is an
/// operator error, answered as a 500 with the cause in the log.
pub fn required_variable(name: &str) -> Result<String, ApiError> {
    variable(name)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| ApiError::unexpected(format!("the variable {name} is not set")))
}

/// A base URL variable without its trailing slash, so paths can be appended.
pub fn base_url(name: &str) -> Result<String, ApiError> {
    required_variable(name).map(|url| url.trim_end_matches('/').to_owned())
}
