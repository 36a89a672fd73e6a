use chrono::Utc;
use e2e::*;

#[tokio::test(flavor = "multi_thread")]
async fn login_returns_a_bearer_token() {
    let app = spawn_app().await;
    let user = app.register_user().await;

    let sent = Utc::now();
    let r = app.login(&user.username, &user.password).await;
    let answered = Utc::now();
    r.assert_status(200);
    let token = r.str_field("token");
    assert_uuid_v4(&token);
    assert_eq!(r.json["token_type"], "Bearer", "{}", r.text);
    assert_eq!(r.json["user_id"], user.user_id.as_str(), "{}", r.text);
    let expires_in = r.json["expires_in"]
        .as_i64()
        .unwrap_or_else(|| panic!("expires_in: {}", r.text));
    if app.is_local() {
        assert_eq!(expires_in, 3600, "default token_ttl_seconds");
    } else {
        assert!(expires_in > 0);
    }
    let expires_at = assert_rfc3339_utc(&r.str_field("expires_at"));
    // A local app shares this clock and issues between the request and its
    // answer, the expiry rounded up to the second; a deployment's clock may
    // differ, quite.
    let lifetime = chrono::Duration::seconds(expires_in);
    let slack = chrono::Duration::seconds(if app.is_local() { 1 } else { 600 });
    assert!(
        sent - slack + lifetime <= expires_at && expires_at <= answered + slack + lifetime,
        "expires_at {expires_at} vs expires_in {expires_in}, asked at {sent}, answered at {answered}"
    );

    // Names are case-insensitive at login too.
    let r = app
        .login(&user.username.to_uppercase(), &user.password)
        .await;
    r.assert_status(200);
    let other = r.str_field("token");
    assert_ne!(token, other, "each login gets a new token");
    app.me(&token).await.assert_status(200);
    app.me(&other).await.assert_status(200);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_user_and_wrong_password_fail_the_same_way() {
    let app = spawn_app().await;
    let user = app.register_user().await;

    let wrong = app.login(&user.username, &strong_password()).await;
    let unknown = app
        .login(&unique_username("nobody"), &strong_password())
        .await;
    wrong.assert_error(401, "invalid_credentials");
    unknown.assert_error(401, "invalid_credentials");
    assert_eq!(wrong.status, unknown.status);
    let strip = |v: &Value| {
        let mut v = v.clone();
        v.as_object_mut().unwrap().remove("request_id");
        v
    };
    assert_eq!(
        strip(&wrong.json),
        strip(&unknown.json),
        "bodies differ apart from request_id"
    );
    assert_eq!(
        wrong.header("www-authenticate"),
        unknown.header("www-authenticate")
    );
    assert_eq!(wrong.header("retry-after"), unknown.header("retry-after"));
    let text = wrong.text.to_lowercase();
    assert!(
        !text.contains("not found") && !text.contains("unknown user"),
        "the failure tells which part was wrong: {}",
        wrong.text
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn login_validates_its_body() {
    let app = spawn_app().await;
    let r = app.post_json("/auth/login", &json!({}), Cred::None).await;
    r.assert_invalid(&["username", "password"]);
    let r = app
        .post_json(
            "/auth/login",
            &json!({"username": unique_username("v")}),
            Cred::None,
        )
        .await;
    r.assert_invalid(&["password"]);
    let r = app
        .post_json(
            "/auth/login",
            &json!({"username": 1, "password": ["x"]}),
            Cred::None,
        )
        .await;
    r.assert_invalid(&["username", "password"]);
    // A password of the wrong type is refused without being echoed.
    let r = app
        .post_json(
            "/auth/login",
            &json!({"username": unique_username("v"), "password": 73_915_284_406_u64}),
            Cred::None,
        )
        .await;
    r.assert_invalid(&["password"]);
    assert!(!r.text.contains("73915284406"), "{}", r.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn five_failures_throttle_even_the_right_password() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let bystander = app.register_user().await;

    for attempt in 1..=5 {
        let r = app.login(&user.username, &strong_password()).await;
        assert_eq!(r.status, 401, "failed attempt {attempt}: {}", r.text);
        r.assert_error(401, "invalid_credentials");
    }
    for (what, username, password) in [
        (
            "right password",
            user.username.clone(),
            user.password.clone(),
        ),
        ("wrong password", user.username.clone(), strong_password()),
        (
            "other spelling",
            user.username.to_uppercase(),
            user.password.clone(),
        ),
    ] {
        let r = app.login(&username, &password).await;
        r.assert_error(429, "too_many_attempts");
        let retry: u64 = r
            .header("retry-after")
            .unwrap_or_else(|| panic!("429 without Retry-After ({what})"))
            .parse()
            .unwrap_or_else(|_| panic!("Retry-After is not seconds ({what})"));
        // The lock ends 15 minutes after the newest failure, a moment ago.
        assert!(
            (870..=900).contains(&retry),
            "Retry-After {retry} ({what}): 15 minutes from the last failure"
        );
        assert!(r.json.get("token").is_none());
    }
    // The throttle is per username.
    app.login(&bystander.username, &bystander.password)
        .await
        .assert_status(200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_successful_login_resets_the_failure_count() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    for round in 0..3 {
        for attempt in 1..=4 {
            let r = app.login(&user.username, &strong_password()).await;
            assert_eq!(r.status, 401, "round {round} attempt {attempt}: {}", r.text);
        }
        let r = app.login(&user.username, &user.password).await;
        assert_eq!(r.status, 200, "round {round}: {}", r.text);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn login_outcomes_are_counted_in_analytics() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    app.login(&user.username, &strong_password())
        .await
        .assert_status(401);
    app.login(&user.username, &strong_password())
        .await
        .assert_status(401);
    app.login_token(&user).await;
    app.wait_for_user_actions(
        &user.user_id,
        &[("register", 1), ("login", 1), ("login_failed", 2)],
        DELIVERY_TIMEOUT,
    )
    .await;
}
