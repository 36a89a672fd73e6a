//! Side effects of auth requests (analytics events, notifications): they
//! never fail or hang the user's request, and none is lost or doubled.

use std::future::Future;
use std::time::{Duration, Instant};

use e2e::reqwest::Method;
use e2e::*;

const ANALYTICS: &str = "http://analytics.spin.internal";
const NOTIFICATION: &str = "http://notification.spin.internal";

/// Run one request and assert it came back within [`PROMPT`].
async fn promptly<T>(what: &str, fut: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let out = tokio::time::timeout(PROMPT * 3, fut)
        .await
        .unwrap_or_else(|_| panic!("{what} hung for over {:?}", PROMPT * 3));
    let took = started.elapsed();
    eprintln!("{what} answered in {took:?}");
    assert!(took < PROMPT, "{what} took {took:?}");
    out
}

/// Register, log in three times, fail once, log out: every request answers
/// promptly and successfully whatever the peers do. Returns the user.
async fn auth_traffic(app: &TestApp) -> TestUser {
    let name = unique_username("dlv");
    let password = strong_password();
    let r = promptly("register", app.register(&name, &password)).await;
    r.assert_status(201);
    let user = TestUser {
        username: name,
        password,
        user_id: r.str_field("user_id"),
    };
    let mut tokens = Vec::new();
    for i in 0..3 {
        let r = promptly(
            &format!("login {i}"),
            app.login(&user.username, &user.password),
        )
        .await;
        r.assert_status(200);
        tokens.push(r.str_field("token"));
    }
    promptly(
        "failed login",
        app.login(&user.username, "Not-the-password-1"),
    )
    .await
    .assert_error(401, "invalid_credentials");
    promptly("me", app.me(&tokens[0])).await.assert_status(200);
    promptly("logout", app.logout(&tokens[0]))
        .await
        .assert_status(204);
    user
}

const EXPECTED: [(&str, u64); 4] = [
    ("register", 1),
    ("login", 3),
    ("login_failed", 1),
    ("logout", 1),
];
/// One welcome and three login alerts.
const NOTIFICATIONS: usize = 4;

/// Wait for every side effect of [`auth_traffic`], then keep the auth
/// service busy a while and check nothing arrives twice.
async fn assert_delivered_exactly_once(app: &TestApp, user: &TestUser) {
    app.wait_for_user_actions(&user.user_id, &EXPECTED, DELIVERY_TIMEOUT)
        .await;
    app.wait_for_notifications(&user.user_id, NOTIFICATIONS, DELIVERY_TIMEOUT)
        .await;
    for _ in 0..3 {
        let other = app.register_user().await;
        app.login_token(&other).await;
        app.nudge_delivery().await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let m = app.user_metrics(&user.user_id).await;
    assert_eq!(
        actions_of(&m),
        {
            let mut want: Vec<_> = EXPECTED.iter().map(|(a, n)| (a.to_string(), *n)).collect();
            want.sort();
            want
        },
        "an event was delivered twice: {m}"
    );
    assert_eq!(m["total"], 6, "{m}");
    let list = app
        .notifications(&user.user_id, Cred::Internal, "?limit=100")
        .await;
    assert_eq!(
        list.json["notifications"].as_array().map(Vec::len),
        Some(NOTIFICATIONS),
        "a notification was stored twice: {}",
        list.text
    );
    // A record per notification does not say it was sent once: the log
    // channel's own lines do.
    if app.is_local() {
        let out = app.stdout("notification");
        let sent: Vec<String> = out
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|line| line["event"] == "notification_delivered")
            .filter(|line| line["user_id"] == user.user_id.as_str())
            .filter_map(|line| line["notification_id"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(
            sent.len(),
            NOTIFICATIONS,
            "a notification was sent twice: {sent:?}\n{out}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn side_effects_kept_while_the_peers_are_down_arrive_exactly_once() {
    let closed = ClosedPort::bind();
    let Some(app) = app()
        .variable("analytics_url", closed.url())
        .variable("notification_url", closed.url())
        .spawn_local("points analytics_url at a closed port and restarts the app")
        .await
    else {
        return;
    };
    let user = auth_traffic(&app).await;

    // Nothing could reach analytics or notification.
    let m = app.user_metrics(&user.user_id).await;
    assert_eq!(m["total"], 0, "{m}");
    let list = app.notifications(&user.user_id, Cred::Internal, "").await;
    assert_eq!(list.json["notifications"], json!([]), "{}", list.text);

    let app = app
        .restart_with(vec![
            ("analytics_url", ANALYTICS.to_string()),
            ("notification_url", NOTIFICATION.to_string()),
        ])
        .await;
    assert_delivered_exactly_once(&app, &user).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_peer_that_never_answers_does_not_hang_auth() {
    let peer = HangingPeer::start().await;
    let Some(app) = app()
        .variable("analytics_url", peer.url())
        .variable("notification_url", peer.url())
        .spawn_local("points analytics_url at a silent peer")
        .await
    else {
        return;
    };
    let user = auth_traffic(&app).await;
    // Auth did wait on the silent peer, and nothing reached analytics.
    eventually(
        "a delivery to the silent peer",
        DELIVERY_TIMEOUT,
        || async {
            (peer.connections() > 0)
                .then_some(())
                .ok_or("no connection yet".to_owned())
        },
    )
    .await;
    let m = app.user_metrics(&user.user_id).await;
    assert_eq!(m["total"], 0, "{m}");

    // And once the real services are back, nothing was lost.
    let app = app
        .restart_with(vec![
            ("analytics_url", ANALYTICS.to_string()),
            ("notification_url", NOTIFICATION.to_string()),
        ])
        .await;
    // Ordinary auth requests deliver what was kept, no operator needed.
    app.nudge_with_auth_requests();
    assert_delivered_exactly_once(&app, &user).await;
}

/// The answer goes out before the request's side effects are delivered:
/// with the peers silent, auth waits out its bound on each delivery, and
/// the client has had its answer since before auth gave up on the first.
#[tokio::test(flavor = "multi_thread")]
async fn the_answer_goes_out_before_the_side_effects_are_delivered() {
    let peer = HangingPeer::start().await;
    let Some(app) = app()
        .components(&["auth"])
        .variable("analytics_url", peer.url())
        .variable("notification_url", peer.url())
        .spawn_local("points the peers at a silent one")
        .await
    else {
        return;
    };
    let r = app
        .register(&unique_username("order"), &strong_password())
        .await;
    let answered = Instant::now();
    r.assert_status(201);
    let gave_up = eventually("auth giving up on the silent peer", PROMPT, || async {
        peer.first_closed()
            .ok_or("no connection closed yet".to_owned())
    })
    .await;
    assert!(
        answered < gave_up,
        "the answer came {:?} after auth gave up on a delivery",
        answered - gave_up
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn side_effects_arrive_when_all_is_up() {
    let app = spawn_app().await;
    let user = auth_traffic(&app).await;
    assert_delivered_exactly_once(&app, &user).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_outbox_flush_endpoint_needs_the_internal_key() {
    let app = spawn_app().await;
    app.send(app.post("/auth/outbox/flush"))
        .await
        .assert_error(401, "unauthorized");
    app.send(app.with(app.post("/auth/outbox/flush"), Cred::Key("wrong")))
        .await
        .assert_error(401, "unauthorized");
    // A user's valid token does not reach it; one auth does not know is no
    // credential at all.
    let user = app.register_user().await;
    let token = app.login_token(&user).await;
    for (path, method) in [
        ("/auth/outbox/flush", Method::POST),
        ("/auth/outbox/dead-letters", Method::GET),
        ("/auth/outbox/dead-letters/1/replay", Method::POST),
    ] {
        app.send(app.with(app.request(method.clone(), path), Cred::Bearer(&token)))
            .await
            .assert_error(403, "forbidden");
        let unknown = uuid::Uuid::new_v4().to_string();
        app.send(app.with(app.request(method, path), Cred::Bearer(&unknown)))
            .await
            .assert_error(401, "unauthorized");
    }
    let r = app
        .send(app.with(app.post("/auth/outbox/flush"), Cred::Internal))
        .await;
    r.assert_status(200);
    assert!(r.json["delivered"].is_u64(), "{}", r.text);
    assert!(r.json["pending"].is_u64(), "{}", r.text);
}
