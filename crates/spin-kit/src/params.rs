//! Reading what a request carries: headers, its JSON body, its URL.

use service_kit::{ApiError, FieldReader, JsonIntake};
use spin_sdk::http::{Params, Request};

/// A header's value, when it is present and valid UTF-8.
pub fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.header(name).and_then(|value| value.as_str())
}

/// The JSON object of the body, after the contract's 413/415/400 checks.
pub fn json_body(request: &Request) -> Result<FieldReader, ApiError> {
    JsonIntake::object(header(request, "content-type"), request.body())
}

/// The `:name` path segment as the client meant it (`a%20b` is `a b`);
/// `None` when absent or not UTF-8 once decoded.
pub fn path_param(params: &Params, name: &str) -> Option<String> {
    decode_path_segment(params.get(name)?)
}

/// Percent-decodes a path segment. `+` stays a plus: only query strings
/// use it for spaces.
fn decode_path_segment(raw: &str) -> Option<String> {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()
        .map(|text| text.into_owned())
}

/// The first value of `name` in the query string, form-decoded (`+` is a space).
pub fn query_param(request: &Request, name: &str) -> Option<String> {
    first_query_value(request.query(), name)
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
