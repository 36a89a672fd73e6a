//! A host-independent HTTP response; each Spin adapter converts it once.

use crate::error::ApiError;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A JSON response. Serializing our own response types cannot fail.
    pub fn json<T: Serialize>(status: u16, value: &T) -> Self {
        Self {
            status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: serde_json::to_vec(value).expect("response types always serialize"),
        }
    }

    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// The contract's error response for `request_id`.
    pub fn from_error(error: &ApiError, request_id: &str) -> Self {
        let mut response = Self {
            status: error.status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: error.body(request_id),
        };
        response.headers.extend(error.headers.iter().cloned());
        response
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_responses_carry_the_error_headers_and_json() {
        let response = HttpResponse::from_error(&ApiError::too_many_attempts(9), "rid");
        assert_eq!(response.status, 429);
        assert_eq!(response.header("Retry-After"), Some("9"));
        assert_eq!(response.header("content-type"), Some("application/json"));
    }
}
