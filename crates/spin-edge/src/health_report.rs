//! The health report: `200 ok` when every check passes, `503 unavailable`
//! naming the failing check otherwise.

use crate::response::HttpResponse;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The health of a service: its own verdict and each check's.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthReport {
    /// `ok`, or `unavailable` when a check failed.
    #[schema(value_type = String)]
    status: &'static str,
    #[schema(value_type = String)]
    service: &'static str,
    #[schema(value_type = String)]
    version: &'static str,
    /// Each check's verdict: `ok` or `failed`.
    #[schema(value_type = BTreeMap<String, String>)]
    checks: BTreeMap<&'static str, String>,
}

impl HealthReport {
    pub fn new(service: &'static str, version: &'static str) -> Self {
        Self {
            status: "ok",
            service,
            version,
            checks: BTreeMap::new(),
        }
    }

    /// Records one check; any failure makes the whole service unavailable.
    /// The failure's cause is logged by the caller, not shown here.
    pub fn check<E>(mut self, name: &'static str, outcome: Result<(), E>) -> Self {
        let verdict = match outcome {
            Ok(()) => "ok",
            Err(_) => {
                self.status = "unavailable";
                "failed"
            }
        };
        self.checks.insert(name, verdict.to_owned());
        self
    }

    pub fn into_response(self) -> HttpResponse {
        let status = if self.status == "ok" { 200 } else { 503 };
        HttpResponse::json(status, &self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn body(response: &HttpResponse) -> Value {
        serde_json::from_slice(&response.body).unwrap()
    }

    #[test]
    fn all_checks_passing_is_200_ok() {
        let response = HealthReport::new("auth", "1.2.3")
            .check("kv", Ok::<_, ()>(()))
            .into_response();
        assert_eq!(response.status, 200);
        assert_eq!(
            body(&response),
            json!({"status": "ok", "service": "auth", "version": "1.2.3", "checks": {"kv": "ok"}})
        );
    }

    #[test]
    fn a_failing_check_is_503_and_named() {
        let response = HealthReport::new("auth", "1")
            .check("kv", Err("disk gone"))
            .into_response();
        assert_eq!(response.status, 503);
        let body = body(&response);
        assert_eq!(body["status"], "unavailable");
        assert_eq!(body["checks"]["kv"], "failed");
        assert!(!body.to_string().contains("disk gone"));
    }
}
