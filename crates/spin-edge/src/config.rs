//! Spin variables the services read.

use crate::error::ApiError;

/// The component variable `name`, or `None` when it is undefined. When the
/// provider cannot say (a vault that is down), an error: a rule the
/// operator set is never skipped for want of its value.
pub fn variable(name: &str) -> Result<Option<String>, ApiError> {
    match spin_sdk::variables::get(name) {
        Ok(value) => Ok(Some(value)),
        Err(spin_sdk::variables::Error::Undefined(_)) => Ok(None),
        Err(error) => Err(ApiError::unexpected(format!(
            "the variable {name} could not be read: {error}"
        ))),
    }
}

/// A variable that must be set for the service to work; its absence is an
/// operator error, answered as a 500 with the cause in the log.
pub fn required_variable(name: &str) -> Result<String, ApiError> {
    variable(name)?
        .filter(|value| !value.is_empty())
        .ok_or_else(|| ApiError::unexpected(format!("the variable {name} is not set")))
}

/// A base URL variable without its trailing slash, so paths can be appended.
pub fn base_url(name: &str) -> Result<String, ApiError> {
    required_variable(name).map(|url| url.trim_end_matches('/').to_owned())
}
