//! One structured JSON line per request, and a helper for other log lines
//! that must name the request they belong to. Each line names the request
//! id and, when the request carried a W3C `traceparent`, the trace id, so
//! that a log line leads to the request's trace.

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Serialize)]
pub struct AccessLog<'a> {
    pub service: &'a str,
    pub request_id: &'a str,
    /// Left out when the request carried no trace context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<&'a str>,
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub duration_ms: u64,
}

impl AccessLog<'_> {
    pub fn line(&self) -> String {
        let mut fields = serde_json::to_value(self).expect("log fields always serialize");
        fields["event"] = Value::from("request");
        fields.to_string()
    }
}

/// A JSON log line about `request_id`: `event` says what happened, `fields`
/// add the particulars. Callers must never pass passwords or raw tokens.
pub fn event_line(
    service: &str,
    request_id: &str,
    trace_id: Option<&str>,
    event: &str,
    fields: Value,
) -> String {
    let mut line = serde_json::json!({
        "service": service,
        "request_id": request_id,
        "event": event,
    });
    if let (Some(line), Some(trace_id)) = (line.as_object_mut(), trace_id) {
        line.insert("trace_id".to_owned(), Value::from(trace_id));
    }
    if let (Some(line), Value::Object(fields)) = (line.as_object_mut(), fields) {
        line.extend(fields);
    }
    line.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_lines_are_one_json_object() {
        let line = AccessLog {
            service: "auth",
            request_id: "r1",
            trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736"),
            method: "POST",
            path: "/auth/login",
            status: 401,
            duration_ms: 12,
        }
        .line();
        assert!(!line.contains('\n'));
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["request_id"], "r1");
        assert_eq!(value["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(value["status"], 401);
        assert_eq!(value["event"], "request");
    }

    #[test]
    fn access_lines_name_the_service_method_path_and_duration() {
        let line = AccessLog {
            service: "notification",
            request_id: "r4",
            trace_id: None,
            method: "GET",
            path: "/notification/users/alice/notifications",
            status: 200,
            duration_ms: 7,
        }
        .line();
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["service"], "notification");
        assert_eq!(value["method"], "GET");
        assert_eq!(value["path"], "/notification/users/alice/notifications");
        assert_eq!(value["duration_ms"], 7);
    }

    #[test]
    fn event_lines_name_the_request() {
        let line = event_line(
            "auth",
            "r2",
            Some("4bf92f3577b34da6a3ce929d0e0e4736"),
            "delivery_failed",
            serde_json::json!({"target": "analytics"}),
        );
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["request_id"], "r2");
        assert_eq!(value["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(value["target"], "analytics");
    }

    #[test]
    fn lines_without_trace_context_leave_the_trace_id_out() {
        let access = AccessLog {
            service: "auth",
            request_id: "r3",
            trace_id: None,
            method: "GET",
            path: "/auth/health",
            status: 200,
            duration_ms: 1,
        }
        .line();
        let event = event_line("auth", "r3", None, "x", serde_json::json!({}));
        for line in [access, event] {
            let value: Value = serde_json::from_str(&line).unwrap();
            assert!(value.get("trace_id").is_none(), "{line}");
        }
    }
}
