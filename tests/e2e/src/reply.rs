use reqwest::RequestBuilder;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// A response read to the end: status, headers, raw text and parsed JSON
/// (`Value::Null` when the body is not JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Reply {
    pub async fn send(req: RequestBuilder) -> Reply {
        let described = format!("{req:?}");
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("request failed: {e:#} ({described})"));
        Reply::read(resp).await
    }

    pub async fn read(resp: reqwest::Response) -> Reply {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("response body");
        Reply::new(status, headers, text)
    }

    /// A reply of these parts, its JSON parsed from `text`.
    pub fn new(status: u16, headers: HeaderMap, text: String) -> Reply {
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            text,
            json,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Assert the status code, showing the body when it differs.
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "expected status {status}, got {} with body {}",
            self.status, self.text
        );
        self
    }

    /// A string field of the JSON body (panics when absent).
    pub fn str_field(&self, name: &str) -> String {
        self.json[name]
            .as_str()
            .unwrap_or_else(|| panic!("no string field {name:?} in {}", self.text))
            .to_string()
    }

    /// The `X-Request-Id` header (asserted present).
    pub fn request_id(&self) -> String {
        self.header("x-request-id")
            .unwrap_or_else(|| panic!("no X-Request-Id on a {} response", self.status))
            .to_string()
    }

    /// Assert a contract error: this status, a JSON body
    /// `{"error":{"code","message","details"?},"request_id"}` with this code,
    /// whose `request_id` is the `X-Request-Id` header.
    pub fn assert_error(&self, status: u16, code: &str) -> &Self {
        self.assert_status(status);
        let ct = self.header("content-type").unwrap_or("");
        assert!(
            ct.starts_with("application/json"),
            "error response content-type {ct:?}, body {}",
            self.text
        );
        let body = self
            .json
            .as_object()
            .unwrap_or_else(|| panic!("error body is not a JSON object: {}", self.text));
        let error = body["error"]
            .as_object()
            .unwrap_or_else(|| panic!("no \"error\" object in {}", self.text));
        assert_eq!(
            error.get("code").and_then(Value::as_str),
            Some(code),
            "error code in {}",
            self.text
        );
        let message = error.get("message").and_then(Value::as_str).unwrap_or("");
        assert!(!message.is_empty(), "empty error message in {}", self.text);
        if let Some(details) = error.get("details") {
            let details = details
                .as_array()
                .unwrap_or_else(|| panic!("details is not an array in {}", self.text));
            for d in details {
                assert!(
                    d["field"].is_string() && d["message"].is_string(),
                    "detail without field/message: {d} in {}",
                    self.text
                );
            }
        }
        for key in body.keys() {
            assert!(
                key == "error" || key == "request_id",
                "unexpected top-level key {key:?} in error body {}",
                self.text
            );
        }
        let rid = body
            .get("request_id")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no request_id in {}", self.text));
        assert_eq!(
            rid,
            self.request_id(),
            "request_id in the body differs from the X-Request-Id header"
        );
        let lower = self.text.to_lowercase();
        for leak in ["panicked", "stack backtrace", ".rs:", "rust_begin_unwind"] {
            assert!(
                !lower.contains(leak),
                "error body leaks internals ({leak}): {}",
                self.text
            );
        }
        self
    }

    /// Assert `422 validation_failed` with a `details` entry for each field.
    pub fn assert_invalid(&self, fields: &[&str]) -> &Self {
        self.assert_error(422, "validation_failed");
        let got = detail_fields(&self.json);
        for f in fields {
            assert!(
                got.iter().any(|g| g == f),
                "expected a details entry for {f:?}, got {got:?} in {}",
                self.text
            );
        }
        self
    }

    /// Assert `401 unauthorized` with `WWW-Authenticate: Bearer`.
    pub fn assert_unauthorized_bearer(&self) -> &Self {
        self.assert_error(401, "unauthorized");
        let www = self.header("www-authenticate").unwrap_or_else(|| {
            panic!(
                "401 without WWW-Authenticate on a bearer-protected endpoint: {}",
                self.text
            )
        });
        assert!(
            www.to_ascii_lowercase().starts_with("bearer"),
            "WWW-Authenticate {www:?}"
        );
        self
    }
}

/// The `field` of every `details` entry of an error body.
pub fn detail_fields(body: &Value) -> Vec<String> {
    body["error"]["details"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|d| d["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Assert a UUID (any version) in canonical hyphenated form.
pub fn assert_uuid(s: &str) {
    let parsed = uuid::Uuid::try_parse(s).unwrap_or_else(|_| panic!("{s:?} is not a UUID"));
    assert_eq!(
        parsed.hyphenated().to_string(),
        s.to_ascii_lowercase(),
        "{s:?} is not in hyphenated form"
    );
}

/// Assert a UUID version 4.
pub fn assert_uuid_v4(s: &str) {
    assert_uuid(s);
    let parsed = uuid::Uuid::try_parse(s).expect("uuid");
    assert_eq!(parsed.get_version_num(), 4, "{s:?} is not a UUID v4");
}

/// Assert an RFC 3339 time in UTC with a `Z` suffix; returns it parsed.
pub fn assert_rfc3339_utc(s: &str) -> chrono::DateTime<chrono::Utc> {
    assert!(s.ends_with('Z'), "{s:?} does not end with Z");
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s:?} is not RFC 3339: {e}"))
        .with_timezone(&chrono::Utc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn reply(status: u16, rid: &str, body: Value) -> Reply {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("content-type"),
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            HeaderName::from_static("x-request-id"),
            HeaderValue::from_str(rid).unwrap(),
        );
        Reply {
            status,
            headers,
            text: body.to_string(),
            json: body,
        }
    }

    fn good() -> Value {
        serde_json::json!({
            "error": {"code": "validation_failed", "message": "bad", "details": [{"field": "password", "message": "short"}]},
            "request_id": "r1"
        })
    }

    #[test]
    fn a_contract_error_passes() {
        reply(422, "r1", good()).assert_invalid(&["password"]);
    }

    #[test]
    #[should_panic(expected = "expected status")]
    fn another_status_fails() {
        reply(400, "r1", good()).assert_error(422, "validation_failed");
    }

    #[test]
    #[should_panic(expected = "error code")]
    fn another_code_fails() {
        reply(422, "r1", good()).assert_error(422, "invalid_json");
    }

    #[test]
    #[should_panic(expected = "request_id in the body")]
    fn a_request_id_unlike_the_header_fails() {
        reply(422, "r2", good()).assert_error(422, "validation_failed");
    }

    #[test]
    #[should_panic(expected = "unexpected top-level key")]
    fn extra_top_level_keys_fail() {
        let mut body = good();
        body["trace"] = serde_json::json!("at src/main.rs:1");
        reply(422, "r1", body).assert_error(422, "validation_failed");
    }

    #[test]
    #[should_panic(expected = "expected a details entry")]
    fn a_missing_detail_fails() {
        reply(422, "r1", good()).assert_invalid(&["username"]);
    }

    #[test]
    #[should_panic(expected = "not a UUID v4")]
    fn a_uuid_of_another_version_fails() {
        assert_uuid_v4("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    }

    #[test]
    #[should_panic(expected = "does not end with Z")]
    fn an_offset_time_fails() {
        assert_rfc3339_utc("2026-11-24T19:20:00+00:00");
    }
}
