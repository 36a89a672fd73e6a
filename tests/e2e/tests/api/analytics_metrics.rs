use e2e::*;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

#[tokio::test(flavor = "multi_thread")]
async fn global_metrics_need_no_credentials_and_count_every_action() {
    let app = spawn_app().await;
    let before = app.metrics_actions().await;
    assert!(before["total"].is_u64(), "{before}");
    assert!(before["actions"].is_object(), "{before}");

    let a = unique_action("e2e.glob");
    let b = unique_action("e2e.glob");
    for (action, n) in [(&a, 3), (&b, 1)] {
        for _ in 0..n {
            app.post_event(
                &json!({"user_id": format!("ext-{}", random_suffix()), "action": action}),
            )
            .await
            .assert_status(202);
        }
    }
    let after = app.metrics_actions().await;
    assert_eq!(after["actions"][&a], 3, "{after}");
    assert_eq!(after["actions"][&b], 1, "{after}");
    assert!(
        after["actions"]
            .as_object()
            .unwrap_or_else(|| panic!("actions object: {after}"))
            .values()
            .all(Value::is_u64),
        "{after}"
    );
    let grew = after["total"].as_u64().unwrap() - before["total"].as_u64().unwrap();
    if app.is_local() {
        assert_eq!(grew, 4, "{before} -> {after}");
    } else {
        assert!(grew >= 4, "{before} -> {after}");
    }
    // Credentials change nothing about the answer's shape.
    let r = app
        .get_with("/analytics/metrics/actions", Cred::Internal)
        .await;
    r.assert_status(200);
    assert!(r.json["total"].is_u64());
}

#[tokio::test(flavor = "multi_thread")]
async fn user_metrics_count_per_action_and_start_at_zero() {
    let app = spawn_app().await;
    let user = format!("ext-{}", random_suffix());
    let m = app.user_metrics(&user).await;
    assert_eq!(m["user_id"], user.as_str(), "{m}");
    assert_eq!(m["total"], 0, "{m}");
    assert_eq!(m["actions"], json!({}), "no action counted yet: {m}");

    for action in ["login", "login", "logout"] {
        app.post_event(&json!({"user_id": user, "action": action}))
            .await
            .assert_status(202);
    }
    let m = app.user_metrics(&user).await;
    assert_eq!(m["total"], 3, "{m}");
    assert_eq!(
        actions_of(&m),
        [("login".to_string(), 2), ("logout".to_string(), 1)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn user_metrics_are_for_the_user_or_the_internal_key() {
    let app = spawn_app().await;
    let alice = app.register_user().await;
    let bob = app.register_user().await;
    let alice_token = app.login_token(&alice).await;
    let bob_token = app.login_token(&bob).await;

    let own = app
        .user_metrics_as(&alice.user_id, Cred::Bearer(&alice_token))
        .await;
    own.assert_status(200);
    assert_eq!(own.json["user_id"], alice.user_id.as_str());
    app.user_metrics_as(&alice.user_id, Cred::Internal)
        .await
        .assert_status(200);

    app.user_metrics_as(&alice.user_id, Cred::Bearer(&bob_token))
        .await
        .assert_error(403, "forbidden");
    app.user_metrics_as(&alice.user_id, Cred::None)
        .await
        .assert_unauthorized_bearer();
    app.user_metrics_as(&alice.user_id, Cred::Key("wrong"))
        .await
        .assert_unauthorized_bearer();
    app.user_metrics_as(&alice.user_id, Cred::Bearer("nope"))
        .await
        .assert_unauthorized_bearer();
}

/// Everything but the unreserved characters of RFC 3986.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn encode_segment(s: &str) -> String {
    utf8_percent_encode(s, NOT_UNRESERVED).to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn user_ids_with_any_characters_round_trip_through_the_path() {
    let app = spawn_app().await;
    let user = format!("ext {}/ü%?#&+", random_suffix());
    for _ in 0..2 {
        app.post_event(&json!({"user_id": user, "action": "e2e.odd_id"}))
            .await
            .assert_status(202);
    }
    let r = app
        .user_metrics_as(&encode_segment(&user), Cred::Internal)
        .await;
    r.assert_status(200);
    assert_eq!(r.json["user_id"], user.as_str(), "{}", r.text);
    assert_eq!(r.json["total"], 2, "{}", r.text);

    app.notify(&json!({"user_id": user, "message": "odd id"}))
        .await
        .assert_status(202);
    let r = app
        .notifications(&encode_segment(&user), Cred::Internal, "?limit=5")
        .await;
    r.assert_status(200);
    assert_eq!(r.json["user_id"], user.as_str(), "{}", r.text);
    assert_eq!(
        r.json["notifications"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.text
    );
}
