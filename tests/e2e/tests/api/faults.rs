//! Abuse and faults on real Spin: bodies refused before they are read or
//! cut off when they stop arriving,
//! health that answers promptly whatever Redis does, an idempotency key
//! left claimed by a crashed request that is taken over after its lease,
//! and bearer requests while auth cannot check tokens.

use e2e::*;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

/// The contract: health answers within 2 s whatever the store does.
const HEALTH_BOUND: Duration = Duration::from_secs(2);

const BODY_PATHS: [&str; 3] = ["/auth/login", "/analytics/events", "/notification/notify"];

#[tokio::test(flavor = "multi_thread")]
async fn a_declared_content_length_over_64_kib_gets_413_without_sending_the_body() {
    let Some(app) = app()
        .spawn_local("speaks raw HTTP to the app's own port")
        .await
    else {
        return;
    };
    for path in BODY_PATHS {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: e2e\r\nContent-Type: application/json\r\n\
             Content-Length: 1000000000\r\n\r\n"
        );
        // Only the headers go out; the server must answer without the body
        // (the read gives up after PROMPT, far less than a gigabyte takes).
        let addr = app.addr();
        let reply = tokio::task::spawn_blocking(move || raw_request(addr, &head, b"", PROMPT))
            .await
            .unwrap();
        assert_eq!(reply.status, 413, "{path}: {reply:?}");
        let body: Value = serde_json::from_str(&reply.body).expect("a JSON error body");
        assert_eq!(body["error"]["code"], "payload_too_large", "{path}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chunked_body_is_cut_off_one_byte_past_64_kib() {
    let Some(app) = app()
        .spawn_local("speaks raw HTTP to the app's own port")
        .await
    else {
        return;
    };
    let head = "POST /auth/login HTTP/1.1\r\nHost: e2e\r\nContent-Type: application/json\r\n\
                Transfer-Encoding: chunked\r\n\r\n";
    // 64 KiB + 1 byte in chunks, and then nothing: no final chunk. The
    // answer can only come from reading no further than the limit + 1.
    let mut sent = Vec::new();
    for chunk in [vec![b' '; 64 * 1024], vec![b' '; 1]] {
        sent.extend(format!("{:x}\r\n", chunk.len()).into_bytes());
        sent.extend(chunk);
        sent.extend(b"\r\n");
    }
    let addr = app.addr();
    let reply = tokio::task::spawn_blocking(move || raw_request(addr, head, &sent, PROMPT))
        .await
        .unwrap();
    assert_eq!(reply.status, 413, "{reply:?}");
    assert!(reply.body.contains("payload_too_large"), "{reply:?}");

    // Exactly 64 KiB, also unfinished, is still being waited for: the cut
    // is at the limit + 1, not before.
    let mut sent = format!("{:x}\r\n", 64 * 1024).into_bytes();
    sent.extend(vec![b' '; 64 * 1024]);
    sent.extend(b"\r\n");
    let waiting = tokio::task::spawn_blocking(move || {
        still_waiting(addr, head, &sent, Duration::from_secs(2))
    })
    .await
    .unwrap();
    assert!(
        waiting,
        "a body of exactly 64 KiB was answered or dropped before it ended"
    );
}

/// A client that promises a body and stops sending it holds an instance only
/// for the 10 s the pipeline gives a body: then it gets `408`, and the
/// service takes requests as before.
#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_stops_arriving_gets_408_after_10_s() {
    let Some(app) = app()
        .spawn_local("speaks raw HTTP to the app's own port")
        .await
    else {
        return;
    };
    let stalled = BODY_PATHS.map(|path| {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: e2e\r\nContent-Type: application/json\r\n\
             Content-Length: 100\r\n\r\n"
        );
        let addr = app.addr();
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let reply = raw_request(addr, &head, br#"{"use"#, 3 * PROMPT);
            (path, started.elapsed(), reply)
        })
    });
    for stalled in stalled {
        let (path, waited, reply) = stalled.await.unwrap();
        assert!(
            waited >= Duration::from_secs(9),
            "{path}: answered after {waited:?}, before the body's 10 s were up: {reply:?}"
        );
        let reply = reply.into_reply();
        reply.assert_error(408, "request_timeout");
    }
    app.get_with("/auth/health", Cred::None)
        .await
        .assert_status(200);
}

/// Every service's health, each answering 503 naming `kv` within the bound.
async fn assert_health_unavailable_within_bound(app: &TestApp, how: &str) {
    for service in ["auth", "analytics", "notification"] {
        let started = Instant::now();
        let r = tokio::time::timeout(
            PROMPT,
            app.get_with(&format!("/{service}/health"), Cred::None),
        )
        .await
        .unwrap_or_else(|_| panic!("{service} health hangs with Redis {how}"));
        let took = started.elapsed();
        r.assert_status(503);
        assert_eq!(r.json["status"], "unavailable", "{}", r.text);
        assert_eq!(r.json["checks"]["kv"], "failed", "{}", r.text);
        assert!(
            took <= HEALTH_BOUND,
            "{service} health with Redis {how} took {took:?}, over the contract's {HEALTH_BOUND:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn health_answers_503_within_2_s_while_redis_is_paused_then_recovers() {
    let Some(app) = app()
        .own_redis()
        .spawn_local("pauses the app's Redis server")
        .await
    else {
        return;
    };
    let redis = app.redis();
    for service in ["auth", "analytics", "notification"] {
        app.get_with(&format!("/{service}/health"), Cred::None)
            .await
            .assert_status(200);
    }
    redis.pause(Duration::from_secs(8));
    assert_health_unavailable_within_bound(&app, "paused").await;
    // Once Redis answers again, so does health.
    for service in ["auth", "analytics", "notification"] {
        eventually(
            &format!("{service} health is ok again after the pause"),
            Duration::from_secs(30),
            || async {
                let r = app
                    .get_with(&format!("/{service}/health"), Cred::None)
                    .await;
                if r.status == 200 && r.json["checks"]["kv"] == "ok" {
                    Ok(())
                } else {
                    Err(format!("{} {}", r.status, r.text))
                }
            },
        )
        .await;
    }
}

/// The store's name for an idempotency key's entry (see the notification
/// domain's README): `idem:<sha256(key)>:<part>`.
fn idempotency_entry(key: &str, part: &str) -> String {
    let digest: String = Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("idem:{digest}:{part}")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_claimed_by_a_request_that_died_before_writing_its_state_is_taken_over() {
    let Some(app) = app()
        .own_redis()
        .spawn_local("writes into the app's Redis server")
        .await
    else {
        return;
    };
    let redis = app.redis();
    let notification_db = app.redis_database("notification");
    let key = format!("stuck-{}", random_suffix());
    let user = format!("ext-{}", random_suffix());
    let body = json!({"user_id": user, "message": "stuck key"});
    // A request claimed the key and crashed before writing its state.
    let claim = idempotency_entry(&key, "claim");
    assert_eq!(
        redis.run_in_db::<i64>(notification_db, &["INCRBY", &claim, "1"]),
        1
    );

    // Within the lease a repeat waits, then says the key is in progress.
    app.notify_with_key(&key, &body)
        .await
        .assert_error(409, "idempotency_in_progress");
    // The key was never given back: its claim is generation 0's.
    let unstarted = idempotency_entry(&key, "unstarted:0");
    let seen: i64 = redis
        .run_in_db::<Option<i64>>(notification_db, &["GET", &unstarted])
        .expect("the repeat recorded when it found the key without a state");

    // The 5-minute lease passes (moved back rather than waited for).
    let long_ago = (seen - 301_000).to_string();
    redis.run_in_db::<()>(notification_db, &["SET", &unstarted, &long_ago]);
    let taken = app.notify_with_key(&key, &body).await;
    taken.assert_status(202);
    let id = taken.str_field("notification_id");
    let again = app.notify_with_key(&key, &body).await;
    again.assert_status(200);
    assert_eq!(again.str_field("notification_id"), id, "{}", again.text);
}

/// The webhook's answer never ends, one byte at a time: its status is all
/// a webhook call reads, so a `200` head is a delivery, at once, instead of
/// an attempt that reads for days.
#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_whose_answer_never_ends_is_not_read() {
    let peer = TricklingPeer::start().await;
    let Some(app) = app()
        .variable("webhook_url", peer.url())
        .variable("webhook_origin", peer.origin())
        .spawn_local("sets webhook_url")
        .await
    else {
        return;
    };
    let started = Instant::now();
    let reply = app
        .notify(&json!({"user_id": "trickle", "channel": "webhook", "message": "m"}))
        .await;
    let took = started.elapsed();
    reply.assert_status(202);
    assert_eq!(reply.json["status"], "delivered", "{}", reply.text);
    assert_eq!(reply.json["attempts"], 1, "{}", reply.text);
    assert_eq!(peer.request_count(), 1, "one request");
    // Generous: one attempt's deadline, far below the 55 hours the body
    // would take.
    assert!(took < Duration::from_secs(10), "notify took {took:?}");
}

/// When auth cannot say whether a bearer token is valid (it refuses
/// connections, or answers with an error), analytics and notification
/// answer `503 auth_unavailable`, never `401`, which would tell the client
/// to throw a valid token away. The check carries the request's id.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_auth_cannot_check_gets_503_never_401() {
    // Auth refuses connections.
    let closed = ClosedPort::bind();
    let Some(refused) = app()
        .variable("auth_url", closed.url())
        .spawn_local("points the token check at a closed port")
        .await
    else {
        return;
    };
    let user_id = uuid::Uuid::new_v4().to_string();
    let token = uuid::Uuid::new_v4().to_string();
    assert_every_check_unavailable(&refused, &user_id, &token, "closed").await;
    refused.shutdown().await;

    // The real auth answers 500: its record of the token is broken.
    let Some(app) = app()
        .own_redis()
        .spawn_local("breaks a key in the app's Redis")
        .await
    else {
        return;
    };
    let user = app.register_user().await;
    let token = app.login_token(&user).await;
    let token_key = format!("token:{}", sha256_hex(&token));
    app.redis()
        .run_in_db::<()>(app.redis_database("auth"), &["SET", &token_key, "broken"]);
    app.me(&token).await.assert_error(500, "internal_error");
    let request_id = assert_every_check_unavailable(&app, &user.user_id, &token, "failing").await;
    let checks = json_lines(&app.stderr("auth"))
        .filter(|line| {
            line["event"] == "request"
                && line["path"] == "/auth/me"
                && line["request_id"] == request_id.as_str()
        })
        .count();
    assert_eq!(checks, 3, "one check per request, carrying its id");
}

/// Asks the three bearer endpoints of analytics and notification with
/// `token` under one request id; each must answer `503 auth_unavailable`.
/// Gives the request id.
async fn assert_every_check_unavailable(
    app: &TestApp,
    user_id: &str,
    token: &str,
    how: &str,
) -> String {
    let request_id = format!("check-{how}-{}", random_suffix());
    let asks = [
        app.get(&format!("/analytics/metrics/user/{user_id}/actions")),
        app.get(&format!("/notification/users/{user_id}/notifications")),
        app.post("/analytics/events")
            .json(&json!({"action": "page.view"})),
    ];
    for ask in asks {
        let ask = app
            .with(ask, Cred::Bearer(token))
            .header("x-request-id", request_id.as_str());
        app.send(ask).await.assert_error(503, "auth_unavailable");
    }
    request_id
}
