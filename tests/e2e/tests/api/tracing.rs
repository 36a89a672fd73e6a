//! Telemetry: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, Spin exports traces
//! and logs over OTLP/HTTP. One login is one trace across auth, analytics
//! and notification, in one app and split over three; log lines name the
//! trace; nothing secret is exported.

use e2e::otlp::{OtlpReceiver, Span};
use e2e::*;

const TRACEPARENT_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const TRACEPARENT_SPAN: &str = "b7ad6b7169203331";

/// A local app exporting to `receiver`.
fn traced(receiver: &OtlpReceiver) -> AppBuilder {
    app().env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint())
}

/// The spans of the trace whose server span answered `path` (the first
/// one, if several did), once the exports hold every span `complete` wants.
async fn trace_of(
    receiver: &OtlpReceiver,
    path: &str,
    complete: impl Fn(&[Span]) -> Result<(), String>,
) -> Vec<Span> {
    eventually(&format!("the trace of {path}"), DELIVERY_TIMEOUT, || {
        let spans = receiver.spans();
        let found = spans
            .iter()
            .find(|s| s.attribute("url.path") == Some(path))
            .map(|root| root.trace_id.clone());
        let result = match found {
            None => Err(format!("no server span for {path} among {}", spans.len())),
            Some(trace_id) => {
                let trace: Vec<Span> = spans
                    .into_iter()
                    .filter(|s| s.trace_id == trace_id)
                    .collect();
                complete(&trace).map(|()| trace)
            }
        };
        async move { result }
    })
    .await
}

/// `span`'s ancestors within `trace`, nearest first.
fn ancestors<'a>(trace: &'a [Span], span: &'a Span) -> Vec<&'a Span> {
    let mut chain = Vec::new();
    let mut current = span;
    while let Some(parent) = trace.iter().find(|s| s.span_id == current.parent_span_id) {
        chain.push(parent);
        current = parent;
        assert!(chain.len() <= trace.len(), "a cycle of parent links");
    }
    chain
}

fn named<'a>(trace: &'a [Span], name: &str) -> Option<&'a Span> {
    trace.iter().find(|s| s.name == name)
}

/// Complete once auth's, analytics' and notification's component spans are
/// there and every span's parent is in the trace (or is its root's).
fn login_trace_complete(trace: &[Span]) -> Result<(), String> {
    for component in ["auth", "analytics", "notification"] {
        if named(trace, &format!("execute_wasm_component {component}")).is_none() {
            return Err(format!(
                "no span of {component} yet in {} spans",
                trace.len()
            ));
        }
    }
    let roots = trace
        .iter()
        .filter(|s| !trace.iter().any(|p| p.span_id == s.parent_span_id))
        .count();
    if roots == 1 {
        Ok(())
    } else {
        Err(format!("{roots} spans without their parent so far"))
    }
}

/// The shape of a login: the server span `POST /auth/...` is the root; under
/// it auth's component span; under that, for analytics and notification
/// each, an outbound `POST` to that service and, beneath it, the service's
/// component span (in a split deployment with the receiving process's own
/// server span between them). Returns the root.
fn assert_login_shape(trace: &[Span], split: bool) -> &Span {
    let root = trace
        .iter()
        .find(|s| s.attribute("url.path") == Some("/auth/login"))
        .expect("login server span");
    assert_eq!(root.name, "POST /auth/...");
    assert!(
        !trace.iter().any(|s| s.span_id == root.parent_span_id),
        "the login's server span has a parent in the trace"
    );
    let auth = named(trace, "execute_wasm_component auth").expect("auth span");
    assert_eq!(
        auth.parent_span_id, root.span_id,
        "auth runs under the login"
    );

    for service in ["analytics", "notification"] {
        let component = named(trace, &format!("execute_wasm_component {service}"))
            .unwrap_or_else(|| panic!("no {service} span"));
        let chain = ancestors(trace, component);
        let names: Vec<&str> = chain.iter().map(|s| s.name.as_str()).collect();
        let expected: Vec<String> = if split {
            vec![
                format!("POST /{service}/..."),
                "POST".to_owned(),
                "execute_wasm_component auth".to_owned(),
                "POST /auth/...".to_owned(),
            ]
        } else {
            vec![
                "POST".to_owned(),
                "execute_wasm_component auth".to_owned(),
                "POST /auth/...".to_owned(),
            ]
        };
        assert_eq!(names, expected, "{service}'s place in the login's trace");
        let call = chain.iter().find(|s| s.name == "POST").expect("call");
        let url = call.attribute("url.full").unwrap_or_default();
        assert!(
            url.contains(&format!("/{service}/")),
            "the call to {service} went to {url}"
        );
    }
    for span in trace {
        if span.span_id != root.span_id {
            assert_eq!(
                ancestors(trace, span).last().map(|s| &s.span_id),
                Some(&root.span_id),
                "{} is not under the login",
                span.name
            );
        }
    }
    root
}

/// The JSON line in `log` about `request_id` with this `event`.
fn log_line(log: &str, request_id: &str, event: &str) -> Value {
    json_lines(log)
        .find(|v| v["request_id"] == request_id && v["event"] == event)
        .unwrap_or_else(|| panic!("no {event} line for {request_id} in:\n{log}"))
}

async fn login_with_traceparent(app: &TestApp, user: &TestUser) -> Reply {
    let request = app
        .post("/auth/login")
        .header(
            "traceparent",
            format!("00-{TRACEPARENT_TRACE}-{TRACEPARENT_SPAN}-01"),
        )
        .json(&json!({"username": user.username, "password": user.password}));
    app.send(request).await
}

#[tokio::test(flavor = "multi_thread")]
async fn one_login_is_one_trace_across_the_three_services() {
    let receiver = OtlpReceiver::start().await;
    let Some(app) = traced(&receiver).spawn_local("exports telemetry").await else {
        return;
    };
    let user = app.register_user().await;
    let login = app.login(&user.username, &user.password).await;
    login.assert_status(200);
    let request_id = login.request_id();

    let trace = trace_of(&receiver, "/auth/login", login_trace_complete).await;
    let root = assert_login_shape(&trace, false);
    assert!(root.parent_span_id.is_empty(), "no client trace, a new one");
    let trace_id = root.trace_id.clone();

    // Analytics and notification were called with Spin's traceparent, so
    // their log lines name the trace; auth was not (the client sent none),
    // so its line names only the request.
    for service in ["analytics", "notification"] {
        let line = log_line(&app.stderr(service), &request_id, "request");
        assert_eq!(line["trace_id"], trace_id.as_str(), "{service}: {line}");
    }
    let auth_line = log_line(&app.stderr("auth"), &request_id, "request");
    assert!(auth_line.get("trace_id").is_none(), "{auth_line}");

    // The same lines reach the exported logs, one record per line.
    let records = eventually("exported log lines", DELIVERY_TIMEOUT, || {
        let records = receiver.logs();
        let found = records.iter().any(|r| {
            serde_json::from_str::<Value>(r.body.trim()).is_ok_and(|v| {
                v["request_id"] == request_id.as_str()
                    && v["service"] == "notification"
                    && v["trace_id"] == trace_id.as_str()
            })
        });
        async move {
            if found {
                Ok(records)
            } else {
                Err(format!("{} records, not the line yet", records.len()))
            }
        }
    })
    .await;
    let fragments: Vec<&str> = records
        .iter()
        // Spin 4 marks component output with `component_id`, 3.6 does not:
        // look at every record. A line cut in two leaves an empty record,
        // or a part of a line that names its request but is no JSON.
        .filter(|r| {
            let body = r.body.trim();
            body.is_empty()
                || (body.contains("\"request_id\"") && serde_json::from_str::<Value>(body).is_err())
        })
        .map(|r| r.body.as_str())
        .collect();
    assert!(
        fragments.is_empty(),
        "log lines split over several records: {fragments:?}"
    );

    // A client's traceparent is honoured: the login joins the client's
    // trace, under the client's span, and auth's log line names it.
    let login = login_with_traceparent(&app, &user).await;
    login.assert_status(200);
    let request_id = login.request_id();
    let trace = eventually("the client's trace", DELIVERY_TIMEOUT, || {
        let trace: Vec<Span> = receiver
            .spans()
            .into_iter()
            .filter(|s| s.trace_id == TRACEPARENT_TRACE)
            .collect();
        let complete = ["auth", "analytics", "notification"]
            .iter()
            .all(|c| named(&trace, &format!("execute_wasm_component {c}")).is_some())
            && trace.iter().any(|s| s.name == "POST /auth/...");
        async move {
            if complete {
                Ok(trace)
            } else {
                Err(format!("{} spans so far", trace.len()))
            }
        }
    })
    .await;
    let root = assert_login_shape(&trace, false);
    assert_eq!(root.parent_span_id, TRACEPARENT_SPAN);
    for service in ["auth", "analytics", "notification"] {
        let line = log_line(&app.stderr(service), &request_id, "request");
        assert_eq!(line["trace_id"], TRACEPARENT_TRACE, "{service}: {line}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn split_over_three_processes_one_login_is_still_one_trace() {
    if skip_external("starts one instance per service") {
        return;
    }
    let receiver = OtlpReceiver::start().await;
    let key = format!("ik-{}", random_suffix());
    // Analytics and notification need auth's URL before auth starts.
    let auth_address = Relay::start().await;
    // Notification runs with the channels component it chains to.
    let instance = |service: &str| {
        let components: &[&str] = match service {
            "notification" => &["notification", "channels"],
            _ => &[service],
        };
        traced(&receiver)
            .env("OTEL_SERVICE_NAME", format!("seed-{service}"))
            .components(components)
            .internal_key(key.clone())
    };
    let analytics = instance("analytics")
        .variable("auth_url", auth_address.url())
        .spawn_local("splits the services")
        .await
        .unwrap();
    let notification = instance("notification")
        .variable("auth_url", auth_address.url())
        .spawn_local("splits the services")
        .await
        .unwrap();
    let auth = instance("auth")
        .variable("analytics_url", analytics.base_url.clone())
        .variable("notification_url", notification.base_url.clone())
        .spawn_local("splits the services")
        .await
        .unwrap();
    auth_address.forward_to(auth.addr());

    let user = auth.register_user().await;
    let login = auth.login(&user.username, &user.password).await;
    login.assert_status(200);
    let request_id = login.request_id();

    // Spin sends traceparent on the calls between the processes and the
    // receiving process continues that trace.
    let trace = trace_of(&receiver, "/auth/login", login_trace_complete).await;
    let root = assert_login_shape(&trace, true);
    assert!(root.parent_span_id.is_empty());
    for service in ["auth", "analytics", "notification"] {
        let span = named(&trace, &format!("execute_wasm_component {service}")).unwrap();
        assert_eq!(
            span.service,
            format!("seed-{service}"),
            "exported by its process"
        );
    }
    let line = log_line(&analytics.stderr("analytics"), &request_id, "request");
    assert_eq!(line["trace_id"], root.trace_id.as_str(), "{line}");
    let line = log_line(&notification.stderr("notification"), &request_id, "request");
    assert_eq!(line["trace_id"], root.trace_id.as_str(), "{line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_log_line_longer_than_one_stream_write_is_still_one_record() {
    let receiver = OtlpReceiver::start().await;
    let Some(app) = traced(&receiver).spawn_local("exports telemetry").await else {
        return;
    };
    // A client chooses the path, and the access line carries it.
    let path = format!("/auth/{}", "a".repeat(6000));
    let r = app.send(app.get(&path)).await;
    r.assert_error(404, "not_found");
    let request_id = r.request_id();
    eventually("the long line as one record", DELIVERY_TIMEOUT, || {
        let records = receiver.logs();
        let whole = records.iter().any(|r| {
            serde_json::from_str::<Value>(r.body.trim()).is_ok_and(|line| {
                line["request_id"] == request_id.as_str() && line["path"] == path.as_str()
            })
        });
        let pieces = records
            .iter()
            .filter(|r| r.body.contains("aaaaaaaaaaaaaaaa"))
            .count();
        async move {
            match (whole, pieces) {
                (true, 1) => Ok(()),
                _ => Err(format!("whole: {whole}, records with the path: {pieces}")),
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_reaches_the_exported_telemetry() {
    let receiver = OtlpReceiver::start().await;
    let webhook = WebhookServer::start(vec![200]).await;
    let internal_key = format!("ik-secret-{}{}", random_suffix(), random_suffix());
    let Some(app) = traced(&receiver)
        .internal_key(internal_key.clone())
        .variable("webhook_url", webhook.url())
        .variable("webhook_origin", webhook.origin())
        .spawn_local("exports telemetry")
        .await
    else {
        return;
    };
    let user = app.register_user().await;
    let wrong_password = strong_password();
    app.login(&user.username, &wrong_password)
        .await
        .assert_status(401);
    let token = app.login_token(&user).await;
    app.me(&token).await.assert_status(200);
    let event_secret = format!("event-meta-{}", random_suffix());
    app.post_event_as(
        &json!({"action": unique_action("traced"), "metadata": {"note": event_secret}}),
        Cred::Bearer(&token),
    )
    .await
    .assert_status(202);
    let notification_secret = format!("notify-meta-{}", random_suffix());
    // The log channel writes its delivery to stdout, which Spin exports too.
    for channel in ["webhook", "log"] {
        app.notify(&json!({
            "user_id": user.user_id,
            "channel": channel,
            "message": "hello",
            "metadata": {"note": notification_secret},
        }))
        .await
        .assert_status(202);
    }
    assert_eq!(webhook.requests().len(), 1, "the webhook was called");
    app.user_metrics_as(&user.user_id, Cred::Bearer(&token))
        .await
        .assert_status(200);
    let logout = app.logout(&token).await;
    logout.assert_status(204);
    let last = logout.request_id();

    // Wait for the last request's spans and log lines: everything before
    // was exported by then.
    eventually("the logout's telemetry", DELIVERY_TIMEOUT, || {
        let spans = receiver.spans();
        let logs = receiver.logs();
        let ok = spans
            .iter()
            .any(|s| s.attribute("url.path") == Some("/auth/logout"))
            && logs.iter().any(|l| l.body.contains(&last));
        async move {
            if ok {
                Ok(())
            } else {
                Err(format!("{} spans, {} records", spans.len(), logs.len()))
            }
        }
    })
    .await;

    let exported: Vec<u8> = receiver.raw().concat();
    let contains = |needle: &str| {
        exported
            .windows(needle.len())
            .any(|window| window == needle.as_bytes())
    };
    // The search does find what is there.
    assert!(contains(&last), "the logout's request id is exported");
    assert!(contains(&user.user_id), "user ids are exported");
    for (what, secret) in [
        ("password", user.password.as_str()),
        ("wrong password", wrong_password.as_str()),
        ("bearer token", token.as_str()),
        ("internal key", internal_key.as_str()),
        ("event metadata", event_secret.as_str()),
        ("notification metadata", notification_secret.as_str()),
    ] {
        assert!(!contains(secret), "the {what} was exported");
    }
}
