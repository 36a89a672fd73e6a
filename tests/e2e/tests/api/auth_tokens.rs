use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use e2e::*;

#[tokio::test(flavor = "multi_thread")]
async fn me_returns_the_token_owner() {
    let app = spawn_app().await;
    let name = unique_username("me");
    let email = format!("{name}@example.org");
    let created = app
        .post_json(
            "/auth/register",
            &json!({"username": name, "password": "Me-password-1234", "email": email}),
            Cred::None,
        )
        .await;
    created.assert_status(201);
    let user = TestUser {
        username: name.clone(),
        password: "Me-password-1234".into(),
        user_id: created.str_field("user_id"),
    };
    let token = app.login_token(&user).await;

    let r = app.me(&token).await;
    r.assert_status(200);
    assert_eq!(r.json, created.json, "GET /auth/me is the registered user");
    assert!(!r.text.contains(&token));
}

#[tokio::test(flavor = "multi_thread")]
async fn me_without_a_valid_token_is_401() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let token = app.login_token(&user).await;

    app.get_with("/auth/me", Cred::None)
        .await
        .assert_unauthorized_bearer();
    app.get_with("/auth/me", Cred::Internal)
        .await
        .assert_unauthorized_bearer();
    for bad in [
        "not-a-token".to_string(),
        uuid::Uuid::new_v4().to_string(),
        format!("{token}x"),
    ] {
        app.me(&bad).await.assert_unauthorized_bearer();
    }
    for header in [
        format!("Basic {token}"),
        token.clone(),
        "Bearer".to_string(),
        "Bearer ".to_string(),
    ] {
        let r = app
            .send(app.get("/auth/me").header("Authorization", header.as_str()))
            .await;
        assert_eq!(r.status, 401, "Authorization {header:?}: {}", r.text);
        r.assert_unauthorized_bearer();
    }
    // The real token still works.
    app.me(&token).await.assert_status(200);
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_revokes_only_that_token_everywhere() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let token = app.login_token(&user).await;
    let other = app.login_token(&user).await;

    // The token works on every service before logout.
    app.post_event_as(
        &json!({"action": "e2e.before_logout"}),
        Cred::Bearer(&token),
    )
    .await
    .assert_status(202);
    app.user_metrics_as(&user.user_id, Cred::Bearer(&token))
        .await
        .assert_status(200);
    app.notifications(&user.user_id, Cred::Bearer(&token), "")
        .await
        .assert_status(200);

    let r = app.logout(&token).await;
    r.assert_status(204);
    assert!(r.text.is_empty(), "204 with a body: {:?}", r.text);
    assert_eq!(r.header("content-length"), None, "HTTP forbids it on a 204");
    assert!(!r.request_id().is_empty());

    app.me(&token).await.assert_unauthorized_bearer();
    app.logout(&token).await.assert_unauthorized_bearer();
    app.post_event_as(&json!({"action": "e2e.after_logout"}), Cred::Bearer(&token))
        .await
        .assert_error(401, "unauthorized");
    app.user_metrics_as(&user.user_id, Cred::Bearer(&token))
        .await
        .assert_error(401, "unauthorized");
    app.notifications(&user.user_id, Cred::Bearer(&token), "")
        .await
        .assert_error(401, "unauthorized");

    // Another session of the same user is untouched.
    app.me(&other).await.assert_status(200);
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_needs_a_token() {
    let app = spawn_app().await;
    app.send(app.post("/auth/logout"))
        .await
        .assert_unauthorized_bearer();
    app.logout(&uuid::Uuid::new_v4().to_string())
        .await
        .assert_unauthorized_bearer();
    app.send(app.with(app.post("/auth/logout"), Cred::Internal))
        .await
        .assert_unauthorized_bearer();
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_is_counted_in_analytics() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let token = app.login_token(&user).await;
    app.logout(&token).await.assert_status(204);
    app.wait_for_user_actions(
        &user.user_id,
        &[("register", 1), ("login", 1), ("logout", 1)],
        DELIVERY_TIMEOUT,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_logouts_of_one_token_count_once() {
    let app = Arc::new(spawn_app().await);
    let user = app.register_user().await;
    // A round counts only where two logouts both found the token valid;
    // tokens are logged out in rounds until one does.
    const ROUNDS: u64 = 10;
    let mut rounds = 0;
    let mut raced = false;
    while !raced && rounds < ROUNDS {
        rounds += 1;
        let token = app.login_token(&user).await;
        raced = logouts_at_once(&app, &token).await >= 2;
        app.me(&token).await.assert_unauthorized_bearer();
    }
    assert!(
        raced,
        "no two of 8 logouts at once both revoked in {ROUNDS} rounds"
    );
    let expected = [("register", 1), ("login", rounds), ("logout", rounds)];
    app.wait_for_user_actions(&user.user_id, &expected, DELIVERY_TIMEOUT)
        .await;
    // The counts matched once the first deliveries landed; the other
    // revokers' deliveries may still be under way. A flush delivers what is
    // left, and after a second more the count is still one per token.
    app.nudge_delivery().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    app.wait_for_user_actions(&user.user_id, &expected, DELIVERY_TIMEOUT)
        .await;
}

/// Eight logouts of `token` at once; how many answered `204`.
async fn logouts_at_once(app: &Arc<TestApp>, token: &str) -> usize {
    let mut set = JoinSet::new();
    for _ in 0..8 {
        let (app, token) = (app.clone(), token.to_owned());
        set.spawn(async move { app.logout(&token).await });
    }
    let mut revoked = 0;
    while let Some(r) = set.join_next().await {
        let r = r.expect("task");
        match r.status {
            204 => revoked += 1,
            // Another logout revoked the token first.
            401 => {
                r.assert_unauthorized_bearer();
            }
            other => panic!("status {other}: {}", r.text),
        }
    }
    assert!(revoked >= 1, "one of the logouts revokes the token");
    revoked
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_lifetime_that_is_not_whole_seconds_refuses_logins_instead_of_the_default() {
    let Some(app) = app()
        .variable("token_ttl_seconds", "15m")
        .spawn_local("sets token_ttl_seconds")
        .await
    else {
        return;
    };
    // Register does not need the lifetime: it goes on.
    let name = unique_username("ttl");
    let password = "Ttl-password-1234";
    let registered = app.register(&name, password).await;
    registered.assert_status(201);
    let refused = app.login(&name, password).await;
    refused.assert_error(500, "internal_error");
    assert!(!refused.text.contains("15m"), "{}", refused.text);
    // Not a 401 for a wrong password: login stops before it checks anything.
    app.login(&name, "Wrong-password-1234")
        .await
        .assert_error(500, "internal_error");
    let log = app.stderr("auth");
    assert!(
        log.contains("token_ttl_seconds") && log.contains("15m"),
        "the log names the variable and its value: {log}"
    );
    // Nor does the outbox's relay.
    app.send(app.with(app.post("/auth/outbox/flush"), Cred::Internal))
        .await
        .assert_status(200);
    let user_id = registered.str_field("user_id");
    app.wait_for_user_actions(&user_id, &[("register", 1)], DELIVERY_TIMEOUT)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_expire_after_token_ttl_seconds() {
    let Some(app) = app()
        .variable("token_ttl_seconds", "4")
        .spawn_local("sets token_ttl_seconds")
        .await
    else {
        return;
    };
    let user = app.register_user().await;
    let sent = chrono::Utc::now();
    let r = app.login(&user.username, &user.password).await;
    let answered = chrono::Utc::now();
    r.assert_status(200);
    assert_eq!(r.json["expires_in"], 4, "{}", r.text);
    let token = r.str_field("token");
    app.me(&token).await.assert_status(200);

    // Its expiry is 4 s after its issue (which this clock saw between
    // sending and the answer) rounded up to the second: it lives 4 to 5 s.
    // Wait for the time it names, by the wall clock, and a second more.
    let expires_at = chrono::DateTime::parse_from_rfc3339(&r.str_field("expires_at"))
        .expect("expires_at is RFC 3339")
        .with_timezone(&chrono::Utc);
    // The app reads its clock to the millisecond.
    let ttl = chrono::Duration::seconds(4);
    let issued_no_earlier = sent - chrono::Duration::milliseconds(1);
    assert!(
        issued_no_earlier + ttl <= expires_at
            && expires_at < answered + ttl + chrono::Duration::seconds(1),
        "expires at {expires_at}, asked at {sent}, answered at {answered}"
    );
    let left = (expires_at - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    tokio::time::sleep(left + Duration::from_secs(1)).await;
    app.me(&token).await.assert_unauthorized_bearer();
    app.post_event_as(&json!({"action": "e2e.expired"}), Cred::Bearer(&token))
        .await
        .assert_error(401, "unauthorized");
    app.notifications(&user.user_id, Cred::Bearer(&token), "")
        .await
        .assert_error(401, "unauthorized");
}
