use std::sync::Arc;
use std::time::{Duration, Instant};

use e2e::*;
use tokio::task::JoinSet;

fn ext_user() -> String {
    format!("ext-{}", random_suffix())
}

fn assert_notification_result(r: &Reply, channel: &str, status: &str) -> String {
    r.assert_status(202);
    let id = r.str_field("notification_id");
    assert_uuid(&id);
    assert_eq!(r.json["status"], status, "{}", r.text);
    assert_eq!(r.json["channel"], channel, "{}", r.text);
    assert!(
        r.json["attempts"].as_u64().is_some_and(|n| n >= 1),
        "{}",
        r.text
    );
    assert_rfc3339_utc(&r.str_field("created_at"));
    id
}

/// Every string anywhere in a JSON value.
/// A private app whose webhook channel posts to `url` (`origin` its
/// `scheme://host:port`, for the allow-list).
async fn app_with_webhook(url: String, origin: String) -> Option<TestApp> {
    app()
        .variable("webhook_url", url)
        .variable("webhook_origin", origin)
        .spawn_local("sets webhook_url")
        .await
}

/// The ids of a `200` listing, in its order.
fn listed_ids(r: &Reply) -> Vec<String> {
    r.assert_status(200);
    r.json["notifications"]
        .as_array()
        .unwrap_or_else(|| panic!("notifications array: {}", r.text))
        .iter()
        .map(|n| n["notification_id"].as_str().unwrap().to_string())
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().flat_map(strings).collect(),
        Value::Object(o) => o.values().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn log_notifications_are_delivered_and_stored() {
    let app = spawn_app().await;
    let user = ext_user();
    let subject = format!("Subject {}", random_suffix());
    let message = format!("Hello there {}", random_suffix());
    let r = app
        .notify(&json!({"user_id": user, "subject": subject, "message": message, "metadata": {"k": "v"}}))
        .await;
    let id = assert_notification_result(&r, "log", "delivered");
    assert_eq!(r.json["attempts"], 1, "{}", r.text);

    let got = app.notification(&id, Cred::Internal).await;
    got.assert_status(200);
    for (k, v) in [
        ("notification_id", id.as_str()),
        ("user_id", user.as_str()),
        ("subject", subject.as_str()),
        ("message", message.as_str()),
        ("channel", "log"),
        ("status", "delivered"),
    ] {
        assert_eq!(got.json[k], v, "{k} in {}", got.text);
    }
    assert_eq!(got.json["attempts"], 1);
    assert_eq!(got.json["created_at"], r.json["created_at"]);

    // The explicit channel and a message without subject work too.
    let r = app
        .notify(&json!({"user_id": user, "channel": "log", "message": "no subject"}))
        .await;
    assert_notification_result(&r, "log", "delivered");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_log_channel_writes_one_json_line_to_stdout() {
    let Some(app) = app()
        .spawn_local("reads the notification component's stdout")
        .await
    else {
        return;
    };
    let user = ext_user();
    let subject = format!("Subj {}", random_suffix());
    let message = format!("Message {}", random_suffix());
    let metadata_value = format!("meta-{}", random_suffix());
    let r = app
        .notify(&json!({
            "user_id": user,
            "subject": subject,
            "message": message,
            "metadata": {"note": metadata_value},
        }))
        .await;
    let id = assert_notification_result(&r, "log", "delivered");

    let out = app.stdout("notification");
    assert!(
        !out.contains(&metadata_value),
        "the metadata is not written out:\n{out}"
    );
    let lines: Vec<&str> = out.lines().filter(|l| l.contains(&id)).collect();
    let deliveries: Vec<Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| {
            let s = strings(v);
            s.iter().any(|x| x == &message)
        })
        .collect();
    assert_eq!(
        deliveries.len(),
        1,
        "one JSON line naming the notification and its message; lines with the id: {lines:#?}\nstdout:\n{out}"
    );
    let s = strings(&deliveries[0]);
    for want in [&id, &user, &subject, &message] {
        assert!(
            s.iter().any(|x| x == want),
            "{want} not in {}",
            deliveries[0]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn notify_body_rules() {
    let app = spawn_app().await;
    let user = ext_user();
    let cases: Vec<(&str, Value)> = vec![
        ("message", json!({"user_id": user})),
        ("message", json!({"user_id": user, "message": ""})),
        (
            "message",
            json!({"user_id": user, "message": "m".repeat(4001)}),
        ),
        ("message", json!({"user_id": user, "message": 5})),
        (
            "subject",
            json!({"user_id": user, "message": "m", "subject": "s".repeat(201)}),
        ),
        // A line break could add a mail header where a provider writes the
        // subject into one.
        (
            "subject",
            json!({"user_id": user, "message": "m", "subject": "Hi\r\nBcc: x@example.com"}),
        ),
        (
            "subject",
            json!({"user_id": user, "message": "m", "subject": "Hi\u{2028}there"}),
        ),
        (
            "channel",
            json!({"user_id": user, "message": "m", "channel": "push"}),
        ),
        (
            "channel",
            json!({"user_id": user, "message": "m", "channel": 1}),
        ),
        (
            "metadata",
            json!({"user_id": user, "message": "m", "metadata": "x"}),
        ),
        (
            "metadata",
            json!({"user_id": user, "message": "m", "metadata": {"k": "x".repeat(4096)}}),
        ),
        ("user_id", json!({"message": "m"})),
        ("user_id", json!({"user_id": "", "message": "m"})),
    ];
    for (field, body) in cases {
        let r = app.notify(&body).await;
        assert_eq!(r.status, 422, "{field} in {body}: {}", r.text);
        r.assert_invalid(&[field]);
    }
    let list = app.notifications(&user, Cred::Internal, "").await;
    list.assert_status(200);
    assert_eq!(
        list.json["notifications"].as_array().map(Vec::len),
        Some(0),
        "a refused notification was stored: {}",
        list.text
    );

    for body in [
        json!({"user_id": user, "message": "m".repeat(4000)}),
        json!({"user_id": user, "message": "m", "subject": "s".repeat(200)}),
        json!({"user_id": user, "message": "ünïcödé ✓"}),
        json!({"user_id": user, "message": "m", "metadata": {"k": "x".repeat(4088)}}),
    ] {
        let r = app.notify(&body).await;
        assert_eq!(r.status, 202, "{}", r.text);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn notify_needs_the_internal_key() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let token = app.login_token(&user).await;
    let body = json!({"user_id": user.user_id, "message": "hi"});
    app.post_json("/notification/notify", &body, Cred::None)
        .await
        .assert_error(401, "unauthorized");
    app.post_json("/notification/notify", &body, Cred::Key("wrong"))
        .await
        .assert_error(401, "unauthorized");
    // A user's valid token does not reach it (403); a token auth does not
    // know is no credential at all (401). Neither notifies.
    app.post_json("/notification/notify", &body, Cred::Bearer(&token))
        .await
        .assert_error(403, "forbidden");
    let unknown = uuid::Uuid::new_v4().to_string();
    app.post_json("/notification/notify", &body, Cred::Bearer(&unknown))
        .await
        .assert_error(401, "unauthorized");
    let listed = app.notifications(&user.user_id, Cred::Internal, "").await;
    let notified: Vec<&str> = listed.json["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["message"].as_str())
        .filter(|message| *message == "hi")
        .collect();
    assert!(notified.is_empty(), "{}", listed.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idempotency_key_delivers_once() {
    let app = spawn_app().await;
    let user = ext_user();
    let key = format!("idem-{}", random_suffix());
    let body = json!({"user_id": user, "message": "once only"});

    let first = app.notify_with_key(&key, &body).await;
    let id = assert_notification_result(&first, "log", "delivered");
    let again = app.notify_with_key(&key, &body).await;
    again.assert_status(200);
    assert_eq!(
        again.json, first.json,
        "the repeat returns the first result"
    );
    let changed = app
        .notify_with_key(&key, &json!({"user_id": user, "message": "changed"}))
        .await;
    changed.assert_status(200);
    assert_eq!(changed.json["notification_id"], id.as_str());

    let other = app
        .notify_with_key(&format!("idem-{}", random_suffix()), &body)
        .await;
    assert_ne!(assert_notification_result(&other, "log", "delivered"), id);

    let list = app.notifications(&user, Cred::Internal, "").await;
    list.assert_status(200);
    assert_eq!(
        list.json["notifications"].as_array().unwrap().len(),
        2,
        "{}",
        list.text
    );
    if app.is_local() {
        let lines = app
            .stdout("notification")
            .lines()
            .filter(|l| l.contains(&id) && l.contains("once only"))
            .count();
        assert_eq!(lines, 1, "delivered once to the log");
    }

    for bad in ["k".repeat(129), String::new()] {
        app.notify_with_key(&bad, &body)
            .await
            .assert_invalid(&["Idempotency-Key"]);
    }
    // Reported with the body's bad fields, in one answer.
    let no_message = json!({"user_id": user, "channel": "log"});
    let r = app.notify_with_key(&"k".repeat(129), &no_message).await;
    r.assert_invalid(&["Idempotency-Key", "message"]);
    let longest = format!("{}{}", random_suffix(), "k".repeat(116));
    let r = app.notify_with_key(&longest, &body).await;
    assert_notification_result(&r, "log", "delivered");
}

/// The repeats race a delivery that takes over a second (a slow webhook
/// receiver), so every one of them meets it in progress: each must wait
/// for its result, and the receiver sees one request.
#[tokio::test(flavor = "multi_thread")]
async fn parallel_repeats_of_an_idempotency_key_deliver_once() {
    let hook = WebhookServer::slow(vec![200], Duration::from_millis(1500)).await;
    let Some(app) = app_with_webhook(hook.url(), hook.origin()).await else {
        return;
    };
    let app = Arc::new(app);
    let user = ext_user();
    let key = format!("idem-{}", random_suffix());
    let mut set = JoinSet::new();
    for _ in 0..8 {
        let app = app.clone();
        let key = key.clone();
        let body = json!({"user_id": user, "channel": "webhook", "message": "parallel once"});
        set.spawn(async move { app.notify_with_key(&key, &body).await });
    }
    let mut created = 0;
    let mut ids = std::collections::HashSet::new();
    while let Some(r) = set.join_next().await {
        let r = r.expect("task");
        match r.status {
            202 => created += 1,
            200 => {}
            // A repeat waits about 5 s for the first to finish: on a machine
            // loaded enough, a documented answer, and it names nothing.
            409 => {
                r.assert_error(409, "idempotency_in_progress");
                continue;
            }
            other => panic!(
                "status {other}: {}\nnotification's log:\n{}",
                r.text,
                app.stderr("notification")
            ),
        }
        assert_eq!(r.json["status"], "delivered", "{}", r.text);
        ids.insert(r.str_field("notification_id"));
    }
    assert_eq!(created, 1, "one of the parallel repeats creates it");
    assert_eq!(ids.len(), 1, "all repeats name one notification: {ids:?}");
    let list = app.notifications(&user, Cred::Internal, "").await;
    assert_eq!(
        list.json["notifications"].as_array().unwrap().len(),
        1,
        "{}",
        list.text
    );
    assert_eq!(hook.requests().len(), 1, "delivered once to the receiver");
}

/// Spin's SQLite store refuses an increment at once (`SQLITE_BUSY`, without
/// waiting out its busy timeout) while another connection holds the file's
/// write lock. Racing requests on a store that no request had opened yet do
/// that to each other: each opens a connection of its own and creates the
/// table, and `parallel_repeats_of_an_idempotency_key_deliver_once` got a
/// 500 now and then. Here the other connection is the test's, holding the
/// lock for 200 ms: the request answers when it is gone, never 500.
#[tokio::test(flavor = "multi_thread")]
async fn a_notify_that_meets_a_locked_sqlite_store_waits_for_the_lock() {
    let Some(app) = app().spawn_local("locks the app's SQLite file").await else {
        return;
    };
    let Some(path) = app.sqlite_store_file("notification") else {
        eprintln!("SKIPPED: the notification store is on Redis, not in a SQLite file");
        return;
    };
    let user = ext_user();
    // Spin has opened the store (its connection, its table) before the lock.
    let warm = app
        .notify(&json!({"user_id": user, "message": "before the lock"}))
        .await;
    assert_notification_result(&warm, "log", "delivered");

    let other = rusqlite::Connection::open(&path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    other
        .execute_batch("BEGIN IMMEDIATE")
        .expect("the write lock");
    let key = format!("locked-{}", random_suffix());
    let body = json!({"user_id": user, "message": "while locked"});
    let (reply, ()) = tokio::join!(app.notify_with_key(&key, &body), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        other.execute_batch("COMMIT").expect("release the lock");
    });
    assert_eq!(
        reply.status,
        202,
        "{}\nnotification's log:\n{}",
        reply.text,
        app.stderr("notification")
    );
    assert_notification_result(&reply, "log", "delivered");
    let again = app.notify_with_key(&key, &body).await;
    again.assert_status(200);
    assert_eq!(
        again.json, reply.json,
        "the repeat returns the first result"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_webhook_channel_is_unavailable_without_a_url() {
    let Some(app) = app().spawn_local("needs webhook_url unset").await else {
        return;
    };
    let user = ext_user();
    let r = app
        .notify(&json!({"user_id": user, "channel": "webhook", "message": "hook"}))
        .await;
    r.assert_error(503, "channel_unavailable");
    // The operator's log names what is missing, in a line of the request's
    // like every other.
    let line = channel_unconfigured_line(&app);
    assert_eq!(line["reason"], "webhook_url is not set", "{line}");
    assert_eq!(line["channel"], "webhook", "{line}");
    assert_eq!(line["service"], "notification", "{line}");
    assert_eq!(line["request_id"], r.request_id(), "{line}");
}

/// The notification service's log line saying why a channel is not
/// configured.
fn channel_unconfigured_line(app: &TestApp) -> Value {
    let log = app.stderr("notification");
    log.lines()
        .find(|line| line.contains("channel_unconfigured"))
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("no channel_unconfigured line: {log}"))
}

/// A `webhook_url` no attempt could post to (not http(s), or outside
/// `webhook_origin`) is the operator's to fix: the channel is unavailable
/// as if unset, nothing is stored, and the log says why without the URL.
#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_url_that_cannot_be_posted_to_makes_the_channel_unavailable() {
    let hook = WebhookServer::start(vec![200]).await;
    let secret = format!("token-{}", random_suffix());
    let elsewhere = format!("http://{}:{}", hook.addr.ip(), hook.addr.port() + 1);
    let cases = [
        (
            format!("{}?t={secret}", hook.url()),
            elsewhere,
            "webhook_origin does not allow webhook_url's scheme, host or port",
        ),
        (
            format!("ftp://{}/{secret}", hook.addr),
            hook.origin(),
            "webhook_url is not an http(s) URL with a host",
        ),
    ];
    for (url, origin, reason) in cases {
        let Some(app) = app_with_webhook(url.clone(), origin.clone()).await else {
            return;
        };
        let user = ext_user();
        let r = app
            .notify(&json!({"user_id": user, "channel": "webhook", "message": "hook"}))
            .await;
        r.assert_error(503, "channel_unavailable");
        let listed = app.notifications(&user, Cred::Internal, "").await;
        assert_eq!(
            listed_ids(&listed),
            Vec::<String>::new(),
            "{url} in {origin}"
        );

        let line = channel_unconfigured_line(&app);
        assert_eq!(line["reason"], reason, "{url}: {line}");
        assert_eq!(line["request_id"], r.request_id(), "{line}");
        let log = app.stderr("notification");
        assert!(!log.contains(&secret), "the log shows the URL: {log}");
    }
    assert!(hook.requests().is_empty(), "{:#?}", hook.requests());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_webhook_channel_retries_until_delivered() {
    let hook = WebhookServer::start(vec![500, 200]).await;
    let Some(app) = app_with_webhook(hook.url(), hook.origin()).await else {
        return;
    };
    let user = ext_user();
    let message = format!("webhook {}", random_suffix());
    let r = app
        .notify(&json!({"user_id": user, "channel": "webhook", "subject": "S", "message": message}))
        .await;
    let id = assert_notification_result(&r, "webhook", "delivered");
    assert_eq!(r.json["attempts"], 2, "{}", r.text);

    let seen = hook.requests();
    assert_eq!(seen.len(), 2, "the server saw {seen:#?}");
    for req in &seen {
        assert_eq!(req.method, "POST");
        assert_eq!(req.path, "/hook");
        assert!(
            req.header("content-type")
                .unwrap_or("")
                .starts_with("application/json"),
            "{req:?}"
        );
        let body = req.json();
        let s = strings(&body);
        for want in [&id, &user, &message] {
            assert!(
                s.iter().any(|x| x == want),
                "{want} not in webhook body {body}"
            );
        }
    }
    let stored = app.notification(&id, Cred::Internal).await;
    stored.assert_status(200);
    assert_eq!(stored.json["status"], "delivered");
    assert_eq!(stored.json["attempts"], 2);

    // With an Idempotency-Key, the receiver sees one delivery, not two.
    let key = format!("hook-{}", random_suffix());
    let body = json!({"user_id": user, "channel": "webhook", "message": "keyed"});
    let first = app.notify_with_key(&key, &body).await;
    assert_notification_result(&first, "webhook", "delivered");
    assert_eq!(first.json["attempts"], 1, "{}", first.text);
    let again = app.notify_with_key(&key, &body).await;
    again.assert_status(200);
    assert_eq!(again.json, first.json);
    assert_eq!(hook.requests().len(), 3, "a repeat was delivered again");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_that_accepts_with_a_long_answer_is_delivered_once() {
    // A receiver that answers 200 with a page of 100 kB: it has accepted.
    let page = "x".repeat(100_000);
    let hook = WebhookServer::answering(vec![200], "", &page).await;
    let Some(app) = app_with_webhook(hook.url(), hook.origin()).await else {
        return;
    };
    let r = app
        .notify(&json!({"user_id": ext_user(), "channel": "webhook", "message": "long answer"}))
        .await;
    assert_notification_result(&r, "webhook", "delivered");
    assert_eq!(r.json["attempts"], 1, "{}", r.text);
    assert_eq!(hook.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_that_keeps_failing_is_reported_failed() {
    let hook = WebhookServer::start(vec![500]).await;
    let Some(app) = app_with_webhook(hook.url(), hook.origin()).await else {
        return;
    };
    let r = app
        .notify(&json!({"user_id": ext_user(), "channel": "webhook", "message": "never"}))
        .await;
    let id = assert_notification_result(&r, "webhook", "failed");
    assert_eq!(r.json["attempts"], 3, "tried three times: {}", r.text);
    assert_eq!(r.json["error"], "the webhook answered 500", "{}", r.text);
    assert_eq!(hook.requests().len(), 3);
    let stored = app.notification(&id, Cred::Internal).await;
    assert_eq!(stored.json["status"], "failed", "{}", stored.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_that_never_answers_times_out() {
    let peer = HangingPeer::start().await;
    let Some(app) = app_with_webhook(format!("{}/hook", peer.url()), peer.url()).await else {
        return;
    };
    let started = Instant::now();
    let r = app
        .notify(&json!({"user_id": ext_user(), "channel": "webhook", "message": "hang"}))
        .await;
    let took = started.elapsed();
    assert_notification_result(&r, "webhook", "failed");
    assert_eq!(r.json["attempts"], 3, "{}", r.text);
    assert_eq!(
        r.json["error"], "the webhook did not answer in time",
        "{}",
        r.text
    );
    // Three tries of 5 s each and 0.4 s between them: 15.4 s, with room
    // for a loaded machine, and not less, or a try gave up early.
    assert!(
        took >= Duration::from_secs(15) && took < Duration::from_secs(30),
        "three tries of 5 s took {took:?}"
    );
}

/// A notify takes its place in the listing before it delivers: while a
/// webhook keeps it waiting, a listing shows the older notifications in
/// full pages, and the slow one takes the top once it is done.
#[tokio::test(flavor = "multi_thread")]
async fn a_listing_while_a_webhook_delivers_shows_the_older_ones() {
    let peer = HangingPeer::start().await;
    let Some(app) = app_with_webhook(format!("{}/hook", peer.url()), peer.url()).await else {
        return;
    };
    let user = ext_user();
    let older = app
        .notify(&json!({"user_id": user, "message": "older"}))
        .await;
    let older = assert_notification_result(&older, "log", "delivered");

    let webhook = json!({"user_id": user, "channel": "webhook", "message": "slow"});
    let slow = app.notify(&webhook);
    let meanwhile = async {
        let deadline = Instant::now() + Duration::from_secs(10);
        while peer.connections() == 0 {
            assert!(Instant::now() < deadline, "the webhook was never called");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        app.notifications(&user, Cred::Internal, "?limit=1").await
    };
    let (slow, during) = tokio::join!(slow, meanwhile);
    assert_eq!(
        listed_ids(&during),
        std::slice::from_ref(&older),
        "{}",
        during.text
    );

    let slow = assert_notification_result(&slow, "webhook", "failed");
    let after = app.notifications(&user, Cred::Internal, "?limit=2").await;
    assert_eq!(listed_ids(&after), [slow, older], "{}", after.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_notification_is_read_with_the_internal_key() {
    let app = spawn_app().await;
    let r = app
        .notify(&json!({"user_id": ext_user(), "message": "read me"}))
        .await;
    let id = assert_notification_result(&r, "log", "delivered");
    app.notification(&id, Cred::None)
        .await
        .assert_error(401, "unauthorized");
    app.notification(&id, Cred::Key("wrong"))
        .await
        .assert_error(401, "unauthorized");
    app.notification(&uuid::Uuid::new_v4().to_string(), Cred::Internal)
        .await
        .assert_error(404, "not_found");
    for unknown in ["not-a-uuid", "%FF"] {
        app.notification(unknown, Cred::Internal)
            .await
            .assert_error(404, "not_found");
    }

    // A user's token does not reach it, even for their own record.
    let user = app.register_user().await;
    let token = app.login_token(&user).await;
    let own = app
        .notify(&json!({"user_id": user.user_id, "message": "yours"}))
        .await;
    let own_id = assert_notification_result(&own, "log", "delivered");
    app.notification(&own_id, Cred::Bearer(&token))
        .await
        .assert_error(403, "forbidden");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_users_notifications_are_listed_newest_first() {
    let app = spawn_app().await;
    let user = ext_user();
    let mut ids = Vec::new();
    for i in 0..22 {
        let r = app
            .notify(&json!({"user_id": user, "message": format!("n{i}")}))
            .await;
        ids.push(assert_notification_result(&r, "log", "delivered"));
        if i < 3 {
            // Distinct creation times for the ordering check.
            tokio::time::sleep(Duration::from_millis(1100)).await;
        }
    }
    let r = app.notifications(&user, Cred::Internal, "").await;
    r.assert_status(200);
    assert_eq!(r.json["user_id"], user.as_str());
    let default = listed_ids(&r);
    assert_eq!(default.len(), 20, "default limit is 20");
    let first = &r.json["notifications"][0];
    for k in [
        "user_id",
        "message",
        "status",
        "channel",
        "created_at",
        "attempts",
    ] {
        assert!(
            first.get(k).is_some(),
            "{k} missing in a listed notification {first}"
        );
    }

    let r = app.notifications(&user, Cred::Internal, "?limit=100").await;
    let all = listed_ids(&r);
    assert_eq!(all.len(), 22);
    let mut sorted = ids.clone();
    sorted.sort();
    let mut got = all.clone();
    got.sort();
    assert_eq!(got, sorted, "every notification listed once");
    // Newest first: the first three were created a second apart.
    let pos = |id: &String| all.iter().position(|x| x == id).unwrap();
    assert!(
        pos(&ids[2]) < pos(&ids[1]) && pos(&ids[1]) < pos(&ids[0]),
        "{all:?}"
    );
    assert_eq!(all[21], ids[0], "the oldest is last");
    let times: Vec<String> = r.json["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["created_at"].as_str().unwrap().to_string())
        .collect();
    let parsed: Vec<_> = times.iter().map(|t| assert_rfc3339_utc(t)).collect();
    assert!(
        parsed.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );

    let r = app.notifications(&user, Cred::Internal, "?limit=1").await;
    assert_eq!(listed_ids(&r), vec![all[0].clone()]);
    let r = app.notifications(&user, Cred::Internal, "?limit=5").await;
    assert_eq!(listed_ids(&r), all[..5].to_vec());

    for bad in [
        "?limit=0",
        "?limit=101",
        "?limit=abc",
        "?limit=-1",
        "?limit=%2B5",
    ] {
        app.notifications(&user, Cred::Internal, bad)
            .await
            .assert_invalid(&["limit"]);
    }

    app.notifications(&"u".repeat(129), Cred::Internal, "")
        .await
        .assert_invalid(&["user_id"]);

    let nobody = app.notifications(&ext_user(), Cred::Internal, "").await;
    nobody.assert_status(200);
    assert_eq!(nobody.json["notifications"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_users_notifications_are_for_the_user_or_the_internal_key() {
    let app = spawn_app().await;
    let alice = app.register_user().await;
    let bob = app.register_user().await;
    let alice_token = app.login_token(&alice).await;
    let bob_token = app.login_token(&bob).await;
    app.notifications(&alice.user_id, Cred::Bearer(&alice_token), "")
        .await
        .assert_status(200);
    app.notifications(&alice.user_id, Cred::Bearer(&bob_token), "")
        .await
        .assert_error(403, "forbidden");
    app.notifications(&alice.user_id, Cred::None, "")
        .await
        .assert_unauthorized_bearer();
    app.notifications(&alice.user_id, Cred::Key("wrong"), "")
        .await
        .assert_unauthorized_bearer();
}

#[tokio::test(flavor = "multi_thread")]
async fn register_sends_a_welcome_and_login_an_alert() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let items = app
        .wait_for_notifications(&user.user_id, 1, DELIVERY_TIMEOUT)
        .await;
    assert_eq!(items[0]["subject"], "Welcome", "{}", items[0]);
    assert_eq!(items[0]["metadata"]["type"], "welcome", "{}", items[0]);
    assert_eq!(items[0]["user_id"], user.user_id.as_str());

    let token = app.login_token(&user).await;
    let items = app
        .wait_for_notifications(&user.user_id, 2, DELIVERY_TIMEOUT)
        .await;
    assert_eq!(items[0]["subject"], "New sign-in", "{}", items[0]);
    assert_eq!(items[0]["metadata"]["type"], "login_alert", "{}", items[0]);
    assert_ne!(items[0]["notification_id"], items[1]["notification_id"]);
    // The user may read their own.
    let own = app
        .notifications(&user.user_id, Cred::Bearer(&token), "")
        .await;
    own.assert_status(200);
    assert_eq!(own.json["notifications"].as_array().unwrap().len(), 2);
}
