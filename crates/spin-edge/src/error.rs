//! The contract's error: a status code, a snake_case code, a human message and
//! optional per-field details, rendered as
//! `{"error": {...}, "request_id": "..."}`; and the one place where a domain
//! error becomes such an answer.

use domain_core::{DomainError, Failure};
use serde::Serialize;
use utoipa::ToSchema;

/// One bad field of a request (body field, path or query parameter, header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    /// Which rule the value breaks.
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

/// An error answer of the public contract. Its message is meant for clients;
/// an unexpected failure's cause travels beside it, is logged with the
/// request's id when the answer is sent, and is never shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub details: Vec<FieldError>,
    /// Extra response headers the error needs (`Allow`, `Retry-After`, `WWW-Authenticate`).
    pub headers: Vec<(String, String)>,
    cause: Option<String>,
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorResponse {
    pub error: ErrorBody,
    /// The request's `X-Request-Id`.
    pub request_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Machine-readable, snake_case (e.g. `validation_failed`).
    pub code: String,
    /// For humans.
    pub message: String,
    /// One entry per bad field, where that helps.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub details: Vec<FieldError>,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
            headers: Vec::new(),
            cause: None,
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
            ..Self::new(422, "validation_failed", "The request breaks the schema.")
        }
    }

    pub fn invalid_parameter(field: &str, message: &str) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// Missing or invalid credentials on an endpoint that takes a bearer
    /// token (the internal key too, where it also takes that).
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

    pub fn request_timeout(wait: std::time::Duration) -> Self {
        Self::new(
            408,
            "request_timeout",
            format!("The body did not arrive within {} s.", wait.as_secs()),
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
            "Too many login attempts for this username; try again after Retry-After seconds.",
        )
        .with_header("retry-after", retry_after_seconds.to_string())
    }

    pub fn unavailable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(503, code, message)
    }

    /// The answer to an unexpected failure: a bland 500 for the client,
    /// `cause` for the log.
    pub fn unexpected(cause: impl std::fmt::Display) -> Self {
        Self {
            cause: Some(cause.to_string()),
            ..Self::new(500, "internal_error", "Something went wrong on our side.")
        }
    }

    /// What went wrong, when this answers an unexpected failure: for the log.
    pub fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }

    /// The JSON body of this error for the request `request_id`.
    pub fn body(&self, request_id: &str) -> Vec<u8> {
        let envelope = ErrorResponse {
            error: ErrorBody {
                code: self.code.to_owned(),
                message: self.message.clone(),
                details: self.details.clone(),
            },
            request_id: request_id.to_owned(),
        };
        serde_json::to_vec(&envelope).expect("error bodies always serialize")
    }
}

/// Every domain error answers through here: `?` in a handler is enough.
impl<E: DomainError> From<E> for ApiError {
    fn from(error: E) -> Self {
        let message = error.to_string();
        match error.failure() {
            Failure::Invalid { field } => Self::invalid_parameter(field, &message),
            Failure::Unauthenticated { code, bearer } => {
                let error = Self::new(401, code, message);
                if bearer {
                    error.with_header("www-authenticate", "Bearer")
                } else {
                    error
                }
            }
            Failure::Forbidden { code } => Self::new(403, code, message),
            Failure::NotFound => Self::not_found(),
            Failure::Conflict { code, retry_after } => {
                let error = Self::new(409, code, message);
                match retry_after {
                    Some(seconds) => error.with_header("retry-after", seconds.to_string()),
                    None => error,
                }
            }
            Failure::TooManyAttempts { retry_after } => Self::too_many_attempts(retry_after),
            Failure::Unavailable { code } => Self::unavailable(code, message),
            Failure::Unexpected => Self::unexpected(message),
        }
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
                    "message": "The request breaks the schema.",
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

    #[derive(Debug, thiserror::Error)]
    enum Refusal {
        #[error("That name is taken.")]
        Taken,
        #[error("disk on fire")]
        Broken,
        #[error("must be short")]
        TooLong,
    }

    impl DomainError for Refusal {
        fn failure(&self) -> Failure {
            match self {
                Self::Taken => Failure::Conflict {
                    code: "name_taken",
                    retry_after: None,
                },
                Self::Broken => Failure::Unexpected,
                Self::TooLong => Failure::Invalid { field: "name" },
            }
        }
    }

    #[test]
    fn domain_errors_answer_by_their_kind() {
        let taken = ApiError::from(Refusal::Taken);
        assert_eq!((taken.status, taken.code), (409, "name_taken"));
        assert_eq!(taken.message, "That name is taken.");
        let invalid = ApiError::from(Refusal::TooLong);
        assert_eq!(invalid.details, [FieldError::new("name", "must be short")]);
    }

    #[test]
    fn an_unexpected_cause_is_kept_for_the_log_and_never_shown() {
        let error = ApiError::from(Refusal::Broken);
        assert_eq!((error.status, error.code), (500, "internal_error"));
        assert_eq!(error.cause(), Some("disk on fire"));
        assert!(!String::from_utf8(error.body("r")).unwrap().contains("fire"));
    }

    /// A domain error of any kind, with a fixed message.
    #[derive(Debug, thiserror::Error)]
    #[error("refused")]
    struct OfKind(Failure);

    impl DomainError for OfKind {
        fn failure(&self) -> Failure {
            self.0
        }
    }

    #[test]
    fn every_kind_of_domain_failure_gets_its_status_code_and_headers() {
        let header = |name: &str, value: &str| vec![(name.to_owned(), value.to_owned())];
        for (failure, status, code, headers) in [
            (
                Failure::Unauthenticated {
                    code: "invalid_token",
                    bearer: true,
                },
                401,
                "invalid_token",
                header("www-authenticate", "Bearer"),
            ),
            (
                Failure::Unauthenticated {
                    code: "invalid_credentials",
                    bearer: false,
                },
                401,
                "invalid_credentials",
                vec![],
            ),
            (
                Failure::Forbidden {
                    code: "reserved_action",
                },
                403,
                "reserved_action",
                vec![],
            ),
            (Failure::NotFound, 404, "not_found", vec![]),
            (
                Failure::Conflict {
                    code: "in_progress",
                    retry_after: Some(3),
                },
                409,
                "in_progress",
                header("retry-after", "3"),
            ),
            (
                Failure::TooManyAttempts { retry_after: 900 },
                429,
                "too_many_attempts",
                header("retry-after", "900"),
            ),
            (
                Failure::Unavailable {
                    code: "channel_unavailable",
                },
                503,
                "channel_unavailable",
                vec![],
            ),
        ] {
            let error = ApiError::from(OfKind(failure));
            assert_eq!(
                (error.status, error.code, &error.headers),
                (status, code, &headers),
                "{failure:?}"
            );
        }
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
            ApiError::unauthorized_bearer().headers,
            vec![("www-authenticate".to_owned(), "Bearer".to_owned())]
        );
    }
}
