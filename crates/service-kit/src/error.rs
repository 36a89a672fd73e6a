//! The contract's error: a status code, a snake_case code, a human message and
//! optional per-field details, rendered as
//! `{"error": {...}, "request_id": "..."}`.

use serde::Serialize;

/// One bad field of a request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An error answer of the public contract. Its message is meant for clients:
/// never put internal causes in it (log them instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub details: Vec<FieldError>,
    /// Extra response headers the error needs (`Allow`, `Retry-After`, `WWW-Authenticate`).
    pub headers: Vec<(String, String)>,
}

#[derive(Serialize)]
struct ErrorEnvelope<'a> {
    error: ErrorBody<'a>,
    request_id: &'a str,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    details: &'a [FieldError],
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn invalid_json(reason: impl std::fmt::Display) -> Self {
        Self::new(
            400,
            "invalid_json",
            format!("The body is not valid JSON: {reason}."),
        )
    }

    pub fn validation(details: Vec<FieldError>) -> Self {
        Self {
            details,
            ..Self::new(
                422,
                "validation_failed",
                "The request body breaks the schema.",
            )
        }
    }

    pub fn invalid_parameter(field: &str, message: &str) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// Missing or invalid bearer token.
    pub fn unauthorized_bearer() -> Self {
        Self::new(
            401,
            "unauthorized",
            "Missing, invalid or expired credentials.",
        )
        .with_header("www-authenticate", "Bearer")
    }

    /// Missing or wrong internal key, on an endpoint that takes only that.
    pub fn unauthorized() -> Self {
        Self::new(401, "unauthorized", "Missing or invalid credentials.")
    }

    pub fn forbidden() -> Self {
        Self::new(
            403,
            "forbidden",
            "These credentials do not cover this resource.",
        )
    }

    pub fn not_found() -> Self {
        Self::new(404, "not_found", "No such resource.")
    }

    pub fn method_not_allowed(allowed: &[&str]) -> Self {
        Self::new(
            405,
            "method_not_allowed",
            "This path does not accept that method.",
        )
        .with_header("allow", allowed.join(", "))
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            413,
            "payload_too_large",
            format!("The body is larger than {} KiB.", limit / 1024),
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            415,
            "unsupported_media_type",
            "The body must be application/json.",
        )
    }

    pub fn too_many_attempts(retry_after_seconds: u64) -> Self {
        Self::new(
            429,
            "too_many_attempts",
            "Too many failed attempts; try again later.",
        )
        .with_header("retry-after", retry_after_seconds.to_string())
    }

    pub fn unavailable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(503, code, message)
    }

    /// The answer to an unexpected failure. The cause goes to the log, never here.
    pub fn internal() -> Self {
        Self::new(500, "internal_error", "Something went wrong on our side.")
    }

    /// The JSON body of this error for the request `request_id`.
    pub fn body(&self, request_id: &str) -> Vec<u8> {
        let envelope = ErrorEnvelope {
            error: ErrorBody {
                code: self.code,
                message: &self.message,
                details: &self.details,
            },
            request_id,
        };
        serde_json::to_vec(&envelope).expect("error bodies always serialize")
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn body_has_the_contract_shape() {
        let error = ApiError::validation(vec![FieldError::new("password", "too short")]);
        let body: Value = serde_json::from_slice(&error.body("req-1")).unwrap();
        assert_eq!(
            body,
            json!({
                "error": {
                    "code": "validation_failed",
                    "message": "The request body breaks the schema.",
                    "details": [{"field": "password", "message": "too short"}]
                },
                "request_id": "req-1"
            })
        );
    }

    #[test]
    fn details_are_left_out_when_empty() {
        let body: Value = serde_json::from_slice(&ApiError::not_found().body("r")).unwrap();
        assert!(body["error"].get("details").is_none());
        assert_eq!(body["error"]["code"], "not_found");
    }

    #[test]
    fn header_carrying_errors_name_their_headers() {
        assert_eq!(
            ApiError::method_not_allowed(&["GET", "POST"]).headers,
            vec![("allow".to_owned(), "GET, POST".to_owned())]
        );
        assert_eq!(
            ApiError::too_many_attempts(42).headers,
            vec![("retry-after".to_owned(), "42".to_owned())]
        );
        assert_eq!(
            ApiError::unauthorized_bearer().headers[0].0,
            "www-authenticate"
        );
    }
}
