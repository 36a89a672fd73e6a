//! Reading what a request carries: headers, its JSON body, its URL. Every
//! value a request carries is read here, so each rule gets one answer:
//! a value that breaks its rule is `422 validation_failed` naming it,
//! whether it came in the body, the path or the query. A handler may answer
//! otherwise on purpose: `GET /notification/notifications/{notification_id}`
//! answers `404 not_found` for an id that is not a UUID.

use crate::error::ApiError;
use crate::json_body::{FieldReader, FromFields, JsonIntake, read_fields};
use spin_sdk::http::{Params, Request};
use std::fmt::Display;

/// A header's value, when it is present and valid UTF-8.
pub fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.header(name).and_then(|value| value.as_str())
}

/// The JSON object of the body, after the contract's 413/415/400 checks.
pub fn json_body(request: &Request) -> Result<FieldReader, ApiError> {
    JsonIntake::object(header(request, "content-type"), request.body())
}

/// The body as a `T`: the contract's 413/415/400 checks, then `422`
/// naming every bad field.
pub fn json<T: FromFields>(request: &Request) -> Result<T, ApiError> {
    read_fields(json_body(request)?)
}

/// The `:name` path segment as the client meant it (`a%20b` is `a b`),
/// parsed into a domain type: `422` naming the parameter when it is not
/// UTF-8 once decoded or breaks its rule.
pub fn path<T, E: Display>(
    params: &Params,
    name: &str,
    parse: impl FnOnce(String) -> Result<T, E>,
) -> Result<T, ApiError> {
    let text = params
        .get(name)
        .and_then(decode_path_segment)
        .ok_or_else(|| ApiError::invalid_parameter(name, "must be percent-encoded UTF-8"))?;
    parse(text).map_err(|error| ApiError::invalid_parameter(name, &error.to_string()))
}

/// Percent-decodes a path segment. `+` stays a plus: only query strings
/// use it for spaces.
fn decode_path_segment(raw: &str) -> Option<String> {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()
        .map(|text| text.into_owned())
}

/// The first value of `name` in the query string, form-decoded (`+` is a
/// space), parsed into a domain type: `None` when absent, `422` naming the
/// parameter when it breaks its rule.
pub fn query<T, E: Display>(
    request: &Request,
    name: &str,
    parse: impl FnOnce(String) -> Result<T, E>,
) -> Result<Option<T>, ApiError> {
    first_query_value(request.query(), name)
        .map(|text| {
            parse(text).map_err(|error| ApiError::invalid_parameter(name, &error.to_string()))
        })
        .transpose()
}

fn first_query_value(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_percent_decoded() {
        assert_eq!(decode_path_segment("alice").as_deref(), Some("alice"));
        assert_eq!(decode_path_segment("a%20b").as_deref(), Some("a b"));
        assert_eq!(decode_path_segment("caf%C3%A9").as_deref(), Some("café"));
        assert_eq!(decode_path_segment("%2Fx").as_deref(), Some("/x"));
        assert_eq!(decode_path_segment("a+b").as_deref(), Some("a+b"));
    }

    #[test]
    fn segments_that_are_not_utf8_once_decoded_are_refused() {
        assert_eq!(decode_path_segment("%FF"), None);
    }

    fn whole_number(text: String) -> Result<u32, &'static str> {
        domain_core::parse_whole_number(&text).ok_or("must be a whole number")
    }

    fn only_detail(error: &ApiError) -> (u16, &str, &str) {
        assert_eq!(error.details.len(), 1, "{error:?}");
        let detail = &error.details[0];
        (error.status, detail.field.as_str(), detail.message.as_str())
    }

    #[test]
    fn a_bad_path_segment_is_a_422_naming_the_parameter() {
        let params = Params::from([("n", "%FF"), ("m", "x"), ("k", "%37")]);
        let not_utf8 = path(&params, "n", whole_number).unwrap_err();
        assert_eq!(
            only_detail(&not_utf8),
            (422, "n", "must be percent-encoded UTF-8")
        );
        let broken_rule = path(&params, "m", whole_number).unwrap_err();
        assert_eq!(
            only_detail(&broken_rule),
            (422, "m", "must be a whole number")
        );
        assert_eq!(path(&params, "k", whole_number), Ok(7));
    }

    #[test]
    fn a_bad_query_value_is_a_422_naming_the_parameter_and_an_absent_one_is_none() {
        let request = Request::builder()
            .method(spin_sdk::http::Method::Get)
            .uri("/x?limit=ten&page=2")
            .build();
        let error = query(&request, "limit", whole_number).unwrap_err();
        assert_eq!(
            only_detail(&error),
            (422, "limit", "must be a whole number")
        );
        assert_eq!(query(&request, "page", whole_number), Ok(Some(2)));
        assert_eq!(query(&request, "size", whole_number), Ok(None));
    }

    #[test]
    fn query_values_are_form_decoded() {
        assert_eq!(
            first_query_value("limit=5&x=1", "limit").as_deref(),
            Some("5")
        );
        assert_eq!(
            first_query_value("a=1&limit=%31+0", "limit").as_deref(),
            Some("1 0")
        );
        assert_eq!(
            first_query_value("limit=1&limit=2", "limit").as_deref(),
            Some("1")
        );
        assert_eq!(first_query_value("other=1", "limit"), None);
        assert_eq!(first_query_value("", "limit"), None);
    }
}
