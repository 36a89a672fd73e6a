//! Spin variables the services read.

use crate::error::ApiError;
use spin_sdk::variables::Error;

/// The component variable `name`, or `None` when it is undefined. When the
/// provider cannot say (a vault that is down), an error: a rule the
/// operator set is never skipped for want of its value.
pub fn variable(name: &str) -> Result<Option<String>, ApiError> {
    found(name, spin_sdk::variables::get(name))
}

/// What Spin's answer for variable `name` means to the services.
fn found(name: &str, answer: Result<String, Error>) -> Result<Option<String>, ApiError> {
    match answer {
        Ok(value) => Ok(Some(value)),
        Err(Error::Undefined(_)) => Ok(None),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_undefined_variable_counts_as_unset() {
        assert_eq!(found("a", Ok("x".into())).unwrap(), Some("x".into()));
        assert_eq!(found("a", Err(Error::Undefined("a".into()))).unwrap(), None);
        for error in [
            Error::Provider("vault unreachable".into()),
            Error::InvalidName("a".into()),
            Error::Other("?".into()),
        ] {
            assert!(found("a", Err(error)).is_err());
        }
    }
}
