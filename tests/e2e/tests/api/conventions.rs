//! The rules every service follows: media type, size, JSON, schema, unknown
//! paths and methods, request ids, secrets.

use e2e::reqwest::Method;
use e2e::*;

/// The JSON-body endpoints, with credentials that pass and a valid body.
fn body_endpoints() -> Vec<(&'static str, Cred<'static>, Value)> {
    vec![
        (
            "/auth/register",
            Cred::None,
            json!({"username": unique_username("conv"), "password": strong_password()}),
        ),
        (
            "/auth/login",
            Cred::None,
            json!({"username": unique_username("conv"), "password": strong_password()}),
        ),
        (
            "/analytics/events",
            Cred::Internal,
            json!({"user_id": format!("ext-{}", random_suffix()), "action": "e2e.conv"}),
        ),
        (
            "/notification/notify",
            Cred::Internal,
            json!({"user_id": format!("ext-{}", random_suffix()), "message": "conv"}),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_is_not_json_gets_415() {
    let app = spawn_app().await;
    for (path, cred, body) in body_endpoints() {
        let raw = body.to_string();
        for ct in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("application/jsonx"),
            Some("text/json"),
            None,
        ] {
            let mut req = app.with(app.post(path), cred).body(raw.clone());
            if let Some(ct) = ct {
                req = req.header("Content-Type", ct);
            }
            let r = app.send(req).await;
            assert_eq!(r.status, 415, "{path} with Content-Type {ct:?}: {}", r.text);
            r.assert_error(415, "unsupported_media_type");
        }
    }
}

/// A credential or a body type sent twice means nothing: which of the two
/// would count differs between readers (a proxy may check the first), so
/// neither does, even when both are the same.
#[tokio::test(flavor = "multi_thread")]
async fn a_credential_or_content_type_sent_twice_counts_as_none() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let token = app.login_token(&user).await;
    for second in [format!("Bearer {token}"), "Bearer garbage".to_owned()] {
        let me = app.with(app.get("/auth/me"), Cred::Bearer(&token));
        let r = app.send(me.header("Authorization", second.as_str())).await;
        r.assert_unauthorized_bearer();
    }
    app.me(&token).await.assert_status(200);

    let metrics = format!("/analytics/metrics/user/{}/actions", user.user_id);
    let key = app.internal_key.clone();
    for second in [key.as_str(), "not-the-key"] {
        let request = app.with(app.get(&metrics), Cred::Internal);
        let r = app.send(request.header("X-Internal-Key", second)).await;
        r.assert_error(401, "unauthorized");
    }
    app.send(app.with(app.get(&metrics), Cred::Internal))
        .await
        .assert_status(200);

    for second in ["application/json", "text/plain"] {
        let body = json!({"username": unique_username("twice"), "password": strong_password()});
        let request = app
            .post("/auth/register")
            .header("Content-Type", "application/json")
            .header("Content-Type", second)
            .body(body.to_string());
        app.send(request)
            .await
            .assert_error(415, "unsupported_media_type");
    }
}

/// No body at all is not JSON, whatever its type says: `400`, not `415`.
#[tokio::test(flavor = "multi_thread")]
async fn no_body_at_all_gets_400() {
    let app = spawn_app().await;
    for (path, cred, _) in body_endpoints() {
        app.send(app.with(app.post(path), cred))
            .await
            .assert_error(400, "invalid_json");
    }
}

/// The operations that read no body hold a body sent anyway to the same
/// rule, and do nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_body_an_operation_does_not_read_must_be_json_too() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let token = app.login_token(&user).await;
    let unread: [(&str, Cred); 3] = [
        ("/auth/logout", Cred::Bearer(&token)),
        ("/auth/outbox/flush", Cred::Internal),
        ("/auth/outbox/dead-letters/1/replay", Cred::Internal),
    ];
    for (path, cred) in unread {
        for ct in [Some("text/plain"), None] {
            let mut req = app.with(app.post(path), cred).body("hello");
            if let Some(ct) = ct {
                req = req.header("Content-Type", ct);
            }
            app.send(req)
                .await
                .assert_error(415, "unsupported_media_type");
        }
    }
    app.me(&token).await.assert_status(200);
    // A JSON body, or none, is no reason to refuse.
    let json_body = app
        .with(app.post("/auth/logout"), Cred::Bearer(&token))
        .header("Content-Type", "application/json")
        .body("{}");
    app.send(json_body).await.assert_status(204);
    app.me(&token).await.assert_status(401);
    app.send(app.with(app.post("/auth/outbox/flush"), Cred::Internal))
        .await
        .assert_status(200);
}

/// Spin serves HTTP/2 without TLS, where a body needs no length header:
/// a GET's body is held to the same rules there.
#[tokio::test(flavor = "multi_thread")]
async fn a_get_body_over_http2_without_a_length_is_held_to_the_rules() {
    let app = spawn_app().await;
    let http2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("an HTTP/2 client");
    // A stream has no length to declare.
    let unsized_body = |bytes: Vec<u8>| {
        reqwest::Body::wrap_stream(futures_util::stream::iter([Ok::<_, std::io::Error>(bytes)]))
    };
    let get = |content_type: &str, bytes: Vec<u8>| {
        http2
            .get(app.url("/auth/health"))
            .header("Content-Type", content_type)
            .body(unsized_body(bytes))
    };
    let not_json = app.send(get("text/plain", b"hello".to_vec())).await;
    not_json.assert_error(415, "unsupported_media_type");
    let too_large = app
        .send(get("application/json", vec![b' '; 64 * 1024 + 1]))
        .await;
    too_large.assert_error(413, "payload_too_large");
    let no_body = app.send(http2.get(app.url("/auth/health"))).await;
    no_body.assert_status(200);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_with_parameters_is_accepted() {
    let app = spawn_app().await;
    for ct in [
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "Application/JSON",
    ] {
        let body = json!({"username": unique_username("ct"), "password": strong_password()});
        let r = app
            .send(
                app.post("/auth/register")
                    .header("Content-Type", ct)
                    .body(body.to_string()),
            )
            .await;
        assert_eq!(r.status, 201, "Content-Type {ct:?}: {}", r.text);
    }
    let r = app
        .send(
            app.with(app.post("/analytics/events"), Cred::Internal)
                .header("Content-Type", "application/json; charset=utf-8")
                .body(json!({"user_id": "ext-ct", "action": "e2e.ct"}).to_string()),
        )
        .await;
    r.assert_status(202);
}

/// The app refuses a body over the limit by its declared length, and closes
/// the connection while the client may still be sending: the bodies over
/// the limit go out raw so that the answer is read, not lost to the failed
/// write (see `TestApp::send_raw`).
#[tokio::test(flavor = "multi_thread")]
async fn a_body_over_64_kib_gets_413() {
    let Some(app) = app()
        .spawn_local("reads answers sent before the body is taken")
        .await
    else {
        return;
    };
    for (path, cred, _) in body_endpoints() {
        for size in [64 * 1024 + 1, 200 * 1024, 2 * 1024 * 1024] {
            let length = size.to_string();
            let headers = [
                ("Content-Type", "application/json"),
                ("Content-Length", length.as_str()),
            ];
            let body = padded(json!({}), size).into_bytes();
            let r = app.send_raw("POST", path, cred, &headers, body).await;
            assert_eq!(r.status, 413, "{path} with {size} bytes: {}", r.text);
            r.assert_error(413, "payload_too_large");
        }
    }
    // Exactly 64 KiB is allowed (the unknown padding field is ignored).
    let body = padded(
        json!({"username": unique_username("big"), "password": strong_password()}),
        64 * 1024,
    );
    let r = app
        .send(
            app.post("/auth/register")
                .header("Content-Type", "application/json")
                .body(body),
        )
        .await;
    assert_eq!(r.status, 201, "a 64 KiB body: {}", r.text);
}

/// A GET that declares a body is read like any other, within the limit; only
/// one that declares none (no Content-Length, no Transfer-Encoding) is not.
#[tokio::test(flavor = "multi_thread")]
async fn a_get_that_declares_a_body_over_64_kib_gets_413() {
    let Some(app) = app()
        .spawn_local("reads answers sent before the body is taken")
        .await
    else {
        return;
    };
    let size = 100 * 1024;
    let length = size.to_string();
    let r = app
        .send_raw(
            "GET",
            "/analytics/metrics/actions",
            Cred::None,
            &[("Content-Length", length.as_str())],
            vec![b' '; size],
        )
        .await;
    assert_eq!(r.status, 413, "a GET with 100 KiB: {}", r.text);
    r.assert_error(413, "payload_too_large");
    let r = app.send(app.get("/analytics/metrics/actions")).await;
    assert_eq!(r.status, 200, "a GET without a body: {}", r.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chunked_body_over_64_kib_gets_413() {
    let Some(app) = app()
        .spawn_local("reads answers sent before the body is taken")
        .await
    else {
        return;
    };
    for (path, cred, _) in body_endpoints() {
        // No Content-Length: the size shows only while reading.
        let body = padded(json!({}), 100 * 1024).into_bytes();
        let headers = [
            ("Content-Type", "application/json"),
            ("Transfer-Encoding", "chunked"),
        ];
        let r = app
            .send_raw("POST", path, cred, &headers, chunked(&body, 8 * 1024))
            .await;
        assert_eq!(
            r.status, 413,
            "{path} with a chunked 100 KiB body: {}",
            r.text
        );
        r.assert_error(413, "payload_too_large");
    }
    // A small chunked body is read as usual.
    let body = json!({"username": unique_username("chunk"), "password": strong_password()})
        .to_string()
        .into_bytes();
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        body.chunks(7).map(|c| Ok(c.to_vec())).collect();
    let r = app
        .send(
            app.post("/auth/register")
                .header("Content-Type", "application/json")
                .body(e2e::reqwest::Body::wrap_stream(futures_util::stream::iter(
                    chunks,
                ))),
        )
        .await;
    assert_eq!(r.status, 201, "a chunked body: {}", r.text);
}

/// `body` in HTTP/1.1 chunked framing, `size` bytes a chunk, with its end.
fn chunked(body: &[u8], size: usize) -> Vec<u8> {
    let mut framed = Vec::new();
    for chunk in body.chunks(size) {
        framed.extend(format!("{:x}\r\n", chunk.len()).into_bytes());
        framed.extend(chunk);
        framed.extend(b"\r\n");
    }
    framed.extend(b"0\r\n\r\n");
    framed
}

/// `base` with an unknown `pad` field, serialized to exactly `size` bytes.
fn padded(mut base: Value, size: usize) -> String {
    base["pad"] = json!("");
    let empty = base.to_string().len();
    assert!(size >= empty);
    base["pad"] = json!("p".repeat(size - empty));
    let s = base.to_string();
    assert_eq!(s.len(), size);
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn bytes_that_are_not_json_get_400() {
    let app = spawn_app().await;
    for (path, cred, _) in body_endpoints() {
        for raw in [
            "{\"username\":",
            "not json",
            "{'single': 'quotes'}",
            "",
            "{\"a\":1}}",
        ] {
            let r = app
                .send(
                    app.with(app.post(path), cred)
                        .header("Content-Type", "application/json")
                        .body(raw),
                )
                .await;
            assert_eq!(r.status, 400, "{path} with {raw:?}: {}", r.text);
            r.assert_error(400, "invalid_json");
        }
        let r = app
            .send(
                app.with(app.post(path), cred)
                    .header("Content-Type", "application/json")
                    .body(vec![0xff, 0xfe, 0x7b, 0x7d]),
            )
            .await;
        r.assert_error(400, "invalid_json");
    }
}

/// The components keep a small stack (`.cargo/config.toml`): JSON nested as
/// deep as the parser allows (128 levels) is read, deeper JSON is refused
/// as `400`, and neither crashes the component.
#[tokio::test(flavor = "multi_thread")]
async fn deeply_nested_json_is_read_or_refused_never_a_crash() {
    let app = spawn_app().await;
    let mut nested = json!(1);
    for _ in 0..120 {
        nested = json!([nested]);
    }
    for (path, cred, mut body) in body_endpoints() {
        // Metadata where a service keeps it (and reads it back), else a field it ignores.
        let field = if path.starts_with("/auth/") {
            "extra"
        } else {
            "metadata"
        };
        body[field] = json!({ "deep": nested.clone() });
        let r = app.post_json(path, &body, cred).await;
        // Read: created, accepted, or (login of a name nobody registered) refused.
        match path {
            "/auth/register" => r.assert_status(201),
            "/auth/login" => r.assert_error(401, "invalid_credentials"),
            _ => r.assert_status(202),
        };
        let too_deep = format!(
            "{{\"{field}\": {}1{}}}",
            "[".repeat(30_000),
            "]".repeat(30_000)
        );
        let r = app
            .send(
                app.with(app.post(path), cred)
                    .header("Content-Type", "application/json")
                    .body(too_deep),
            )
            .await;
        r.assert_error(400, "invalid_json");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn json_that_is_not_an_object_gets_422() {
    let app = spawn_app().await;
    for (path, cred, _) in body_endpoints() {
        for body in [json!([]), json!("s"), json!(1), json!(null)] {
            let r = app.post_json(path, &body, cred).await;
            assert_eq!(r.status, 422, "{path} with {body}: {}", r.text);
            r.assert_error(422, "validation_failed");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_paths_get_404() {
    let app = spawn_app().await;
    for (method, path) in [
        (Method::GET, "/auth/nope"),
        (Method::POST, "/auth/nope"),
        (Method::GET, "/auth/register/extra"),
        (Method::GET, "/analytics/nope"),
        (Method::GET, "/analytics/metrics"),
        (Method::GET, "/analytics/metrics/user"),
        (Method::GET, "/analytics/metrics/user/someone"),
        (Method::GET, "/analytics/metrics/user/someone/actions/more"),
        (Method::GET, "/notification/nope"),
        (Method::GET, "/notification/users/someone"),
        (Method::DELETE, "/notification/x/y/z"),
        // Outside every service's prefix (which Spin matches by case).
        (Method::GET, "/"),
        (Method::GET, "/nope"),
        (Method::POST, "/Auth/login"),
        (Method::GET, "/docsx"),
    ] {
        let r = app
            .send(app.with(app.request(method.clone(), path), Cred::Internal))
            .await;
        assert_eq!(r.status, 404, "{method} {path}: {}", r.text);
        r.assert_error(404, "not_found");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_method_gets_405_with_allow() {
    let app = spawn_app().await;
    let id = uuid::Uuid::new_v4();
    let cases: Vec<(Method, String, &str)> = vec![
        (Method::GET, "/auth/register".into(), "POST"),
        (Method::PUT, "/auth/login".into(), "POST"),
        (Method::GET, "/auth/logout".into(), "POST"),
        (Method::POST, "/auth/me".into(), "GET"),
        (Method::DELETE, "/auth/health".into(), "GET"),
        (Method::GET, "/analytics/events".into(), "POST"),
        (Method::POST, "/analytics/metrics/actions".into(), "GET"),
        (
            Method::DELETE,
            "/analytics/metrics/user/u1/actions".into(),
            "GET",
        ),
        (Method::POST, "/analytics/health".into(), "GET"),
        (Method::GET, "/notification/notify".into(), "POST"),
        (
            Method::DELETE,
            format!("/notification/notifications/{id}"),
            "GET",
        ),
        (
            Method::POST,
            "/notification/users/u1/notifications".into(),
            "GET",
        ),
        (Method::PATCH, "/notification/health".into(), "GET"),
    ];
    for (method, path, allowed) in cases {
        let r = app
            .send(app.with(app.request(method.clone(), &path), Cred::Internal))
            .await;
        assert_eq!(r.status, 405, "{method} {path}: {}", r.text);
        r.assert_error(405, "method_not_allowed");
        let allow = r
            .header("allow")
            .unwrap_or_else(|| panic!("405 without Allow for {method} {path}"));
        let methods: Vec<String> = allow
            .split(',')
            .map(|m| m.trim().to_ascii_uppercase())
            .collect();
        // HEAD goes wherever GET does.
        let expected: &[&str] = match allowed {
            "GET" => &["GET", "HEAD"],
            other => &[other],
        };
        assert_eq!(methods, expected, "Allow {allow:?} for {method} {path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn head_answers_like_get_without_the_body() {
    let app = spawn_app().await;
    for path in ["/auth/health", "/analytics/metrics/actions", "/docs"] {
        let get = app.send(app.get(path)).await;
        get.assert_status(200);
        let head = app.send(app.request(Method::HEAD, path)).await;
        head.assert_status(200);
        assert!(head.text.is_empty(), "HEAD {path} with a body");
        assert!(!head.request_id().is_empty());
        let length = head.header("content-length").map(str::to_owned);
        // Health and metrics bodies vary little; the docs page not at all.
        if path == "/docs" {
            assert_eq!(length, Some(get.text.len().to_string()), "HEAD {path}");
        } else {
            assert!(length.is_some(), "HEAD {path} without Content-Length");
        }
    }
    let r = app.send(app.request(Method::HEAD, "/auth/login")).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("POST"));
}

/// A request to every kind of endpoint, success and error alike.
fn sample_requests(app: &TestApp) -> Vec<(String, e2e::reqwest::RequestBuilder)> {
    vec![
        ("auth health".into(), app.get("/auth/health")),
        ("analytics health".into(), app.get("/analytics/health")),
        (
            "notification health".into(),
            app.get("/notification/health"),
        ),
        ("metrics".into(), app.get("/analytics/metrics/actions")),
        ("404".into(), app.get("/auth/nope")),
        ("405".into(), app.get("/notification/notify")),
        ("422".into(), app.post("/auth/register").json(&json!({}))),
        ("401".into(), app.get("/analytics/metrics/user/x/actions")),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_valid_request_id_is_echoed() {
    let app = spawn_app().await;
    let long = format!("{}{}", random_suffix(), "a".repeat(116));
    assert_eq!(long.len(), 128);
    for sent in [
        format!("e2e-{}", random_suffix()),
        format!("A.b_c-9.{}", random_suffix()),
        long,
        "x".to_string(),
    ] {
        for (what, req) in sample_requests(&app) {
            let r = app.send(req.header("X-Request-Id", sent.as_str())).await;
            assert_eq!(r.request_id(), sent, "{what} ({})", r.status);
            if r.status >= 400 {
                assert_eq!(r.json["request_id"], sent.as_str(), "{what}: {}", r.text);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_or_missing_request_id_is_replaced_by_a_uuid() {
    let app = spawn_app().await;
    let too_long = "b".repeat(129);
    for sent in [
        Some(too_long.as_str()),
        Some("has space"),
        Some("semi;colon"),
        Some("slash/id"),
        Some("quote\"d"),
        Some(""),
        None,
    ] {
        for (what, req) in sample_requests(&app) {
            let req = match sent {
                Some(s) => req.header("X-Request-Id", s),
                None => req,
            };
            let r = app.send(req).await;
            let got = r.request_id();
            assert_uuid_v4(&got);
            if let Some(s) = sent {
                assert_ne!(got, s, "{what}: an invalid id was echoed");
            }
            if r.status >= 400 {
                assert_eq!(r.json["request_id"], got.as_str(), "{what}: {}", r.text);
            }
        }
    }
    let a = app.send(app.get("/auth/health")).await.request_id();
    let b = app.send(app.get("/auth/health")).await.request_id();
    assert_ne!(a, b, "each request gets its own id");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_request_id_follows_the_request_into_the_logs() {
    let Some(app) = app().spawn_local("reads the components' logs").await else {
        return;
    };
    // Every request sent to auth here carries an id of ours.
    let mut sent = Vec::new();
    let rid = format!("trace-{}", random_suffix());
    sent.push(rid.clone());
    let name = unique_username("trace");
    let password = strong_password();
    let r = app
        .send(
            app.post("/auth/register")
                .header("X-Request-Id", rid.as_str())
                .json(&json!({"username": name, "password": password})),
        )
        .await;
    r.assert_status(201);
    assert_eq!(r.request_id(), rid);
    let user_id = r.str_field("user_id");
    let login_rid = format!("trace-{}", random_suffix());
    sent.push(login_rid.clone());
    let r = app
        .send(
            app.post("/auth/login")
                .header("X-Request-Id", login_rid.as_str())
                .json(&json!({"username": name, "password": password})),
        )
        .await;
    r.assert_status(200);

    // Wait for the side effects, nudging delivery with ids of ours too.
    let mut n = 0;
    loop {
        let m = app.user_metrics(&user_id).await;
        let list = app.notifications(&user_id, Cred::Internal, "").await;
        if m["total"] == 2 && list.json["notifications"].as_array().map(Vec::len) == Some(2) {
            break;
        }
        n += 1;
        assert!(n < 200, "side effects not delivered: {m} {}", list.text);
        let flush_rid = format!("trace-flush-{}", random_suffix());
        sent.push(flush_rid.clone());
        app.send(
            app.with(app.post("/auth/outbox/flush"), Cred::Internal)
                .header("X-Request-Id", flush_rid.as_str()),
        )
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }

    let log = |c: &str| format!("{}{}", app.stdout(c), app.stderr(c));
    let auth_log = log("auth");
    for id in [&rid, &login_rid] {
        assert!(
            auth_log.lines().any(|l| l.contains(id.as_str())),
            "no auth log line names request {id}:\n{auth_log}"
        );
    }
    // The calls auth made to the other services carried the id of the
    // auth request that made them, and their logs name it.
    for (service, path) in [
        ("analytics", "/analytics/events"),
        ("notification", "/notification/notify"),
    ] {
        let out = log(service);
        let lines: Vec<&str> = out.lines().filter(|l| l.contains(path)).collect();
        assert!(
            !lines.is_empty(),
            "no {service} log line names {path}:\n{out}"
        );
        for line in lines {
            assert!(
                sent.iter().any(|id| line.contains(id.as_str())),
                "a call from auth to {service} lost the request id: {line}\nids sent to auth: {sent:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn passwords_and_tokens_never_reach_the_logs() {
    let Some(app) = app().spawn_local("reads the components' logs").await else {
        return;
    };
    let user = app.register_user().await;
    app.login(&user.username, "Wrong-password-123")
        .await
        .assert_status(401);
    let token = app.login_token(&user).await;
    app.me(&token).await.assert_status(200);
    app.post_event_as(&json!({"action": "e2e.secret"}), Cred::Bearer(&token))
        .await
        .assert_status(202);
    app.notifications(&user.user_id, Cred::Bearer(&token), "")
        .await
        .assert_status(200);
    app.logout(&token).await.assert_status(204);
    app.wait_for_user_actions(
        &user.user_id,
        &[
            ("register", 1),
            ("login", 1),
            ("login_failed", 1),
            ("e2e.secret", 1),
            ("logout", 1),
        ],
        DELIVERY_TIMEOUT,
    )
    .await;

    let all = app.all_output();
    for (what, secret) in [
        ("password", user.password.as_str()),
        ("wrong password", "Wrong-password-123"),
        ("token", token.as_str()),
        ("internal key", app.internal_key.as_str()),
    ] {
        assert!(!all.contains(secret), "the {what} appears in the logs");
    }
}
