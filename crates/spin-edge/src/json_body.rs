//! JSON body intake with the contract's rules, in this order: `413` over
//! 64 KiB (the pipeline's, while it reads the body: see `body`), `415` when
//! the content type is not JSON, `400` when the bytes are not JSON, `422`
//! with one `details` entry per bad field. Unknown fields are ignored.

use crate::error::{ApiError, FieldError};
use domain_core::{DomainError, Failure};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::fmt::Display;

pub struct JsonIntake;

impl JsonIntake {
    /// Checks media type and syntax, and that the body is a JSON object;
    /// returns a reader for its fields.
    pub fn object(content_type: Option<&str>, body: &[u8]) -> Result<FieldReader, ApiError> {
        // An empty body is not JSON whatever its type says: `400` below.
        require_json_media_type_if_any(content_type, body)?;
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(object)) => Ok(FieldReader::new(object)),
            Ok(_) => Err(ApiError::invalid_parameter("body", "must be a JSON object")),
            Err(error) => Err(ApiError::invalid_json(error)),
        }
    }
}

/// The contract's media rule for any body, read or not: a request that
/// carries one must say it is JSON (`415` otherwise); no body, no rule.
pub fn require_json_media_type_if_any(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(), ApiError> {
    if body.is_empty() || is_json_media_type(content_type) {
        Ok(())
    } else {
        Err(ApiError::unsupported_media_type())
    }
}

/// `application/json`, with any parameters (`; charset=utf-8`).
fn is_json_media_type(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// A request body read field by field into domain types. `from_fields`
/// reads every field before it gives up (`let a = ...; let b = ...;
/// Some(Self { a: a?, b: b? })`), so that each bad field is reported.
pub trait FromFields: Sized {
    /// The value, or `None` when a field was bad (and so recorded in `fields`).
    fn from_fields(fields: &mut FieldReader) -> Option<Self>;
}

/// Reads a `T` from a JSON object body that passed the intake checks:
/// `422` listing every bad field, else the value.
pub fn read_fields<T: FromFields>(mut fields: FieldReader) -> Result<T, ApiError> {
    let value = T::from_fields(&mut fields);
    fields.finish()?;
    value.ok_or_else(|| ApiError::unexpected("a body reader refused a body without naming a field"))
}

/// Reads the fields of a JSON object, collecting one error per bad field so a
/// client learns about every problem at once.
#[derive(Debug)]
pub struct FieldReader {
    object: Map<String, Value>,
    errors: Vec<FieldError>,
    /// A check that failed for another reason than the value (the first):
    /// the answer, whatever the fields break.
    failed: Option<ApiError>,
}

impl FieldReader {
    pub fn new(object: Map<String, Value>) -> Self {
        Self {
            object,
            errors: Vec::new(),
            failed: None,
        }
    }

    /// A field that must be present and not null.
    pub fn required<T: DeserializeOwned>(&mut self, name: &str) -> Option<T> {
        self.required_with(name, Ok::<T, String>)
    }

    /// A required field, then parsed into a domain type.
    pub fn required_with<R, T, E>(
        &mut self,
        name: &str,
        parse: impl FnOnce(R) -> Result<T, E>,
    ) -> Option<T>
    where
        R: DeserializeOwned,
        E: Display,
    {
        match self.optional_with(name, parse) {
            Some(Some(value)) => Some(value),
            Some(None) => {
                self.reject(name, "is required");
                None
            }
            None => None,
        }
    }

    /// A required field parsed by a check that can fail for another reason
    /// than the value (it reads a file, say). A failure of kind
    /// [`Failure::Invalid`] is the field's detail, like any bad field; any
    /// other kind is the answer to the whole body (a `500` for
    /// [`Failure::Unexpected`], its cause logged), whatever else the body
    /// breaks: a value that could not be checked is never accepted.
    pub fn required_checked<R, T, E>(
        &mut self,
        name: &str,
        check: impl FnOnce(R) -> Result<T, E>,
    ) -> Option<T>
    where
        R: DeserializeOwned,
        E: DomainError,
    {
        let raw = self.required::<R>(name)?;
        match check(raw) {
            Ok(value) => Some(value),
            Err(error) if matches!(error.failure(), Failure::Invalid { .. }) => {
                self.reject(name, &error.to_string());
                None
            }
            Err(error) => {
                self.failed.get_or_insert_with(|| ApiError::from(error));
                None
            }
        }
    }

    /// A field that may be absent or null: `Some(None)` then; `None` when it is bad.
    pub fn optional<T: DeserializeOwned>(&mut self, name: &str) -> Option<Option<T>> {
        self.optional_with(name, Ok::<T, String>)
    }

    /// An optional field, parsed into a domain type when present.
    pub fn optional_with<R, T, E>(
        &mut self,
        name: &str,
        parse: impl FnOnce(R) -> Result<T, E>,
    ) -> Option<Option<T>>
    where
        R: DeserializeOwned,
        E: Display,
    {
        let value = match self.object.remove(name) {
            None | Some(Value::Null) => return Some(None),
            Some(value) => value,
        };
        let raw = match serde_json::from_value::<R>(value) {
            Ok(raw) => raw,
            Err(error) => {
                self.reject(name, &type_message(&error));
                return None;
            }
        };
        match parse(raw) {
            Ok(parsed) => Some(Some(parsed)),
            Err(error) => {
                self.reject(name, &error.to_string());
                None
            }
        }
    }

    /// Whether the body has `name`, not null, and not read yet.
    pub fn has(&self, name: &str) -> bool {
        self.object.get(name).is_some_and(|value| !value.is_null())
    }

    /// Records a rule a field breaks that only the caller can check.
    pub fn reject(&mut self, name: &str, message: &str) {
        self.errors.push(FieldError::new(name, message));
    }

    /// The answer of a check that could not be made, if there was one; else
    /// `422 validation_failed` listing every bad field, if there was one.
    pub fn finish(self) -> Result<(), ApiError> {
        if let Some(error) = self.failed {
            return Err(error);
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}

/// serde's message without the value it quotes (the field may be a
/// password) and without its position, which means nothing to a client once
/// the value is out of the document: `invalid type: integer, expected a string`.
fn type_message(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let message = without_position(&message);
    // The value serde quotes may hold any text, `, expected ` too; what it
    // expected comes last and from the type, never from the client.
    let expected = message
        .rsplit_once(", expected ")
        .map(|(_, expected)| expected);
    let found = message
        .split(['`', '"'])
        .next()
        .unwrap_or_default()
        .split(", expected ")
        .next()
        .unwrap_or_default()
        .trim_end();
    match expected {
        Some(expected) => format!("{found}, expected {expected}"),
        None => found.to_owned(),
    }
}

/// `message` without the ` at line L column C` serde_json ends it with
/// when it knows where the value was.
fn without_position(message: &str) -> &str {
    match message.rsplit_once(" at line ") {
        Some((head, position))
            if position
                .split(" column ")
                .all(|number| !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())) =>
        {
            head
        }
        _ => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: Option<&str> = Some("application/json");

    fn reader(body: &str) -> FieldReader {
        JsonIntake::object(JSON, body.as_bytes()).expect("a JSON object")
    }

    #[test]
    fn only_json_media_types_are_accepted() {
        for accepted in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
        ] {
            assert!(
                JsonIntake::object(Some(accepted), b"{}").is_ok(),
                "{accepted}"
            );
        }
        for refused in [
            None,
            Some("text/plain"),
            Some("application/jsonx"),
            Some(""),
        ] {
            let error = JsonIntake::object(refused, b"{}").unwrap_err();
            assert_eq!((error.status, error.code), (415, "unsupported_media_type"));
        }
    }

    /// HTTP allows whitespace around the `;` before a parameter.
    #[test]
    fn json_with_whitespace_before_its_parameters_is_accepted() {
        for accepted in [
            "application/json ; charset=utf-8",
            "application/json\t;charset=utf-8",
        ] {
            assert!(
                JsonIntake::object(Some(accepted), b"{}").is_ok(),
                "{accepted:?}"
            );
        }
    }

    #[test]
    fn a_body_nobody_reads_must_be_json_too_and_no_body_is_fine() {
        assert!(require_json_media_type_if_any(None, b"").is_ok());
        assert!(require_json_media_type_if_any(Some("text/plain"), b"").is_ok());
        assert!(require_json_media_type_if_any(Some("application/json"), b"x").is_ok());
        for refused in [None, Some("text/plain")] {
            let error = require_json_media_type_if_any(refused, b"hello").unwrap_err();
            assert_eq!((error.status, error.code), (415, "unsupported_media_type"));
        }
    }

    #[test]
    fn bytes_that_are_not_json_are_a_400() {
        for body in ["", "{", "not json", "{\"a\":}"] {
            let error = JsonIntake::object(JSON, body.as_bytes()).unwrap_err();
            assert_eq!(
                (error.status, error.code),
                (400, "invalid_json"),
                "{body:?}"
            );
        }
    }

    /// The media rule is for a request with a body: none, whatever its
    /// type, is simply not JSON.
    #[test]
    fn no_body_without_a_json_type_is_a_400_not_a_415() {
        for content_type in [None, Some("text/plain")] {
            let error = JsonIntake::object(content_type, b"").unwrap_err();
            assert_eq!((error.status, error.code), (400, "invalid_json"));
        }
    }

    #[test]
    fn a_null_field_is_as_absent_as_a_missing_one() {
        let body = reader(r#"{"a": 1, "b": null}"#);
        assert!(body.has("a"));
        assert!(!body.has("b"));
        assert!(!body.has("c"));
    }

    #[test]
    fn json_that_is_not_an_object_is_a_422() {
        let error = JsonIntake::object(JSON, b"[1]").unwrap_err();
        assert_eq!((error.status, error.code), (422, "validation_failed"));
    }

    #[test]
    fn every_bad_field_gets_its_own_detail() {
        let mut body = reader(r#"{"name": 5, "age": "x", "extra": true}"#);
        assert_eq!(body.required::<String>("name"), None);
        assert_eq!(body.required::<u32>("age"), None);
        assert_eq!(body.required::<String>("missing"), None);
        let error = body.finish().unwrap_err();
        let details: Vec<_> = error
            .details
            .iter()
            .map(|d| (d.field.as_str(), d.message.as_str()))
            .collect();
        assert_eq!(
            details,
            [
                ("name", "invalid type: integer, expected a string"),
                ("age", "invalid type: string, expected u32"),
                ("missing", "is required"),
            ]
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_is_never_echoed() {
        let mut body = reader(r#"{"password": 12345678901, "pin": "8642", "tags": [true]}"#);
        assert_eq!(body.required::<String>("password"), None);
        assert_eq!(body.required::<u32>("pin"), None);
        assert_eq!(body.required::<Vec<String>>("tags"), None);
        let error = body.finish().unwrap_err();
        for detail in &error.details {
            for secret in ["12345678901", "8642", "true"] {
                assert!(!detail.message.contains(secret), "{detail:?}");
            }
        }
    }

    /// The value is quoted before what serde expected, and may itself
    /// read like the rest of the message.
    #[test]
    fn a_value_that_reads_like_the_message_is_never_echoed() {
        let mut body = reader(
            r#"{"pin": "x, expected 8642-SECRET", "tags": ["y, expected hunter2 at line 1 column 2"]}"#,
        );
        assert_eq!(body.required::<u32>("pin"), None);
        assert_eq!(body.required::<Vec<u32>>("tags"), None);
        let error = body.finish().unwrap_err();
        for detail in &error.details {
            for secret in ["8642-SECRET", "hunter2"] {
                assert!(!detail.message.contains(secret), "{detail:?}");
            }
        }
        assert_eq!(
            error.details[0].message,
            "invalid type: string, expected u32"
        );
    }

    #[test]
    fn null_counts_as_absent() {
        let mut body = reader(r#"{"email": null}"#);
        assert_eq!(body.optional::<String>("email"), Some(None));
        assert_eq!(body.required::<String>("email"), None);
        assert_eq!(body.finish().unwrap_err().details[0].message, "is required");
    }

    #[test]
    fn domain_parsers_report_their_own_message() {
        let mut body = reader(r#"{"n": 3}"#);
        let parsed = body.required_with(
            "n",
            |n: u32| if n > 5 { Ok(n) } else { Err("must be over 5") },
        );
        assert_eq!(parsed, None);
        assert_eq!(
            body.finish().unwrap_err().details[0].message,
            "must be over 5"
        );
    }

    /// A check that also fails when its list is out of reach.
    #[derive(Debug, thiserror::Error)]
    enum ListCheck {
        #[error("is on the list")]
        Listed,
        #[error("the list is out of reach")]
        Unreachable,
    }

    impl DomainError for ListCheck {
        fn failure(&self) -> Failure {
            match self {
                Self::Listed => Failure::Invalid { field: "word" },
                Self::Unreachable => Failure::Unexpected,
            }
        }
    }

    fn check_word(word: String) -> Result<String, ListCheck> {
        match word.as_str() {
            "listed" => Err(ListCheck::Listed),
            "unreachable" => Err(ListCheck::Unreachable),
            _ => Ok(word),
        }
    }

    #[test]
    fn a_checked_field_that_breaks_its_rule_is_a_detail_like_any_other() {
        let mut body = reader(r#"{"word": "listed", "n": "x"}"#);
        assert_eq!(body.required_checked("word", check_word), None);
        assert_eq!(body.required::<u8>("n"), None);
        let error = body.finish().unwrap_err();
        assert_eq!((error.status, error.code), (422, "validation_failed"));
        let fields: Vec<_> = error.details.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["word", "n"]);
        assert_eq!(error.details[0].message, "is on the list");

        let mut body = reader(r#"{"word": "fine"}"#);
        assert_eq!(
            body.required_checked("word", check_word).as_deref(),
            Some("fine")
        );
        assert!(body.finish().is_ok());
    }

    #[test]
    fn a_field_that_could_not_be_checked_makes_the_body_a_500() {
        // Whatever else is wrong with the body: the value was not checked.
        let mut body = reader(r#"{"word": "unreachable", "n": "x"}"#);
        assert_eq!(body.required_checked("word", check_word), None);
        assert_eq!(body.required::<u8>("n"), None);
        let error = body.finish().unwrap_err();
        assert_eq!((error.status, error.code), (500, "internal_error"));
        assert_eq!(error.cause(), Some("the list is out of reach"));
        assert!(error.details.is_empty());
    }

    #[derive(Debug)]
    struct Pair {
        name: String,
        size: Option<u8>,
    }

    impl FromFields for Pair {
        fn from_fields(fields: &mut FieldReader) -> Option<Self> {
            let name = fields.required("name");
            let size = fields.optional("size");
            Some(Self {
                name: name?,
                size: size?,
            })
        }
    }

    #[test]
    fn a_body_type_reads_every_field_before_refusing() {
        let error = read_fields::<Pair>(reader(r#"{"size": "big"}"#)).unwrap_err();
        let fields: Vec<_> = error.details.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["name", "size"]);
        let pair = read_fields::<Pair>(reader(r#"{"name": "a"}"#)).unwrap();
        assert_eq!((pair.name.as_str(), pair.size), ("a", None));
    }

    #[test]
    fn a_reader_that_refuses_without_a_reason_is_an_unexpected_failure() {
        struct Never;
        impl FromFields for Never {
            fn from_fields(_: &mut FieldReader) -> Option<Self> {
                None
            }
        }
        let error = read_fields::<Never>(reader("{}")).err().unwrap();
        assert_eq!(error.status, 500);
    }

    #[test]
    fn good_bodies_pass_and_ignore_unknown_fields() {
        let mut body = reader(r#"{"name": "a", "unknown": [1, 2]}"#);
        assert_eq!(body.required::<String>("name"), Some("a".to_owned()));
        assert!(body.finish().is_ok());
    }
}
