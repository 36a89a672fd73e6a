use e2e::*;

fn ext_user() -> String {
    format!("ext-{}", random_suffix())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_is_recorded_once_and_its_retry_is_a_duplicate() {
    let app = spawn_app().await;
    let user = ext_user();
    let action = unique_action("e2e.once");
    let id = uuid::Uuid::new_v4().to_string();
    let body = json!({
        "event_id": id,
        "user_id": user,
        "action": action,
        "timestamp": "2026-11-24T19:20:00Z",
        "metadata": {"source": "e2e", "n": 1},
    });

    let r = app.post_event(&body).await;
    r.assert_status(202);
    assert_eq!(r.json["status"], "recorded", "{}", r.text);
    assert_eq!(r.json["event_id"], id.as_str());
    let total = r.json["total_events"].as_u64().expect("total_events");
    if app.is_local() {
        assert_eq!(total, 1, "the app's first event: {}", r.text);
    } else {
        assert!(total >= 1);
    }

    let again = app.post_event(&body).await;
    again.assert_status(200);
    assert_eq!(again.json["status"], "duplicate", "{}", again.text);
    assert_eq!(again.json["event_id"], id.as_str());
    assert!(again.json["total_events"].is_u64(), "{}", again.text);
    if app.is_local() {
        assert_eq!(
            again.json["total_events"], total,
            "a duplicate counts nothing"
        );
    }

    // The same id with another body is still the same event.
    let other_action = unique_action("e2e.other");
    let changed = json!({"event_id": id, "user_id": user, "action": other_action});
    let r = app.post_event(&changed).await;
    r.assert_status(200);
    assert_eq!(r.json["status"], "duplicate");

    let m = app.user_metrics(&user).await;
    assert_eq!(m["user_id"], user.as_str());
    assert_eq!(m["total"], 1, "{m}");
    assert_eq!(m["actions"][&action], 1, "{m}");
    assert_eq!(m["actions"][&other_action].as_u64().unwrap_or(0), 0, "{m}");
    let global = app.metrics_actions().await;
    assert_eq!(global["actions"][&action], 1, "{global}");
    assert!(global["actions"].get(&other_action).is_none_or(|v| v == 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn event_id_and_timestamp_are_optional() {
    let app = spawn_app().await;
    let user = ext_user();
    let action = unique_action("e2e.gen");
    let a = app
        .post_event(&json!({"user_id": user, "action": action}))
        .await;
    a.assert_status(202);
    let b = app
        .post_event(&json!({"user_id": user, "action": action}))
        .await;
    b.assert_status(202);
    let (ida, idb) = (a.str_field("event_id"), b.str_field("event_id"));
    assert_uuid(&ida);
    assert_uuid(&idb);
    assert_ne!(ida, idb, "generated ids are distinct");
    assert_eq!(app.user_metrics(&user).await["actions"][&action], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn event_body_rules() {
    let app = spawn_app().await;
    let user = ext_user();
    let big_metadata = json!({"blob": "x".repeat(4200)});
    let cases: Vec<(&str, Value)> = vec![
        ("action", json!({"user_id": user})),
        ("action", json!({"user_id": user, "action": "Login"})),
        ("action", json!({"user_id": user, "action": "1login"})),
        ("action", json!({"user_id": user, "action": ""})),
        ("action", json!({"user_id": user, "action": "has space"})),
        ("action", json!({"user_id": user, "action": "a/b"})),
        (
            "action",
            json!({"user_id": user, "action": format!("a{}", "b".repeat(64))}),
        ),
        ("action", json!({"user_id": user, "action": 7})),
        (
            "event_id",
            json!({"user_id": user, "action": "login", "event_id": "not-a-uuid"}),
        ),
        (
            "event_id",
            json!({"user_id": user, "action": "login", "event_id": 12}),
        ),
        (
            "timestamp",
            json!({"user_id": user, "action": "login", "timestamp": "yesterday"}),
        ),
        (
            "timestamp",
            json!({"user_id": user, "action": "login", "timestamp": "2026-13-01T00:00:00Z"}),
        ),
        (
            "timestamp",
            json!({"user_id": user, "action": "login", "timestamp": 1700000000}),
        ),
        (
            "metadata",
            json!({"user_id": user, "action": "login", "metadata": "text"}),
        ),
        (
            "metadata",
            json!({"user_id": user, "action": "login", "metadata": [1, 2]}),
        ),
        (
            "metadata",
            json!({"user_id": user, "action": "login", "metadata": big_metadata}),
        ),
        ("user_id", json!({"action": "login"})),
        ("user_id", json!({"user_id": "", "action": "login"})),
        (
            "user_id",
            json!({"user_id": "u".repeat(129), "action": "login"}),
        ),
        ("user_id", json!({"user_id": 5, "action": "login"})),
    ];
    for (field, body) in cases {
        let r = app.post_event(&body).await;
        assert_eq!(r.status, 422, "{field} in {body}: {}", r.text);
        r.assert_invalid(&[field]);
    }
    // The internal key's missing `user_id` is reported with the body's
    // other bad fields, in one answer.
    let r = app.post_event(&json!({"action": "Login"})).await;
    r.assert_invalid(&["user_id", "action"]);
    let mut fields = detail_fields(&r.json);
    fields.sort();
    assert_eq!(fields, ["action", "user_id"], "{}", r.text);
    let m = app.user_metrics(&user).await;
    assert_eq!(m["total"], 0, "a refused event was counted: {m}");

    // The boundaries that are valid.
    let longest = format!("a{}", "b:c.d-e_".repeat(8))[..64].to_string();
    let user_128 = format!("{}{}", ext_user(), "u".repeat(128))[..128].to_string();
    let valid = vec![
        json!({"user_id": user, "action": longest}),
        json!({"user_id": user, "action": "a"}),
        json!({"user_id": user, "action": "x9_.:-"}),
        json!({"user_id": user, "action": "e2e.meta", "metadata": {"blob": "y".repeat(3900)}}),
        json!({"user_id": user, "action": "e2e.meta", "metadata": {}}),
        json!({"user_id": user, "action": "e2e.time", "timestamp": "2026-01-02T03:04:05.678Z"}),
        json!({"user_id": user_128, "action": "e2e.long_user"}),
    ];
    for body in valid {
        let r = app.post_event(&body).await;
        assert_eq!(r.status, 202, "valid event {body}: {}", r.text);
    }
    assert_eq!(app.user_metrics(&user).await["total"], 6);
    assert_eq!(app.user_metrics(&user_128).await["total"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn events_need_credentials() {
    let app = spawn_app().await;
    let user = ext_user();
    let body = json!({"user_id": user, "action": "e2e.cred"});
    app.post_event_as(&body, Cred::None)
        .await
        .assert_unauthorized_bearer();
    app.post_event_as(&body, Cred::Key("wrong-key"))
        .await
        .assert_unauthorized_bearer();
    let almost = format!("{}x", app.internal_key);
    app.post_event_as(&body, Cred::Key(&almost))
        .await
        .assert_unauthorized_bearer();
    app.post_event_as(&body, Cred::Bearer("garbage"))
        .await
        .assert_unauthorized_bearer();
    let r = app
        .post_event_as(&body, Cred::Bearer(&uuid::Uuid::new_v4().to_string()))
        .await;
    r.assert_unauthorized_bearer();
    assert!(
        !r.text.contains(&app.internal_key),
        "the key is echoed: {}",
        r.text
    );
    assert_eq!(app.user_metrics(&user).await["total"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bearer_token_records_for_its_own_user_only() {
    let app = spawn_app().await;
    let alice = app.register_user().await;
    let bob = app.register_user().await;
    let token = app.login_token(&alice).await;
    let action = unique_action("e2e.own");

    let r = app
        .post_event_as(&json!({"action": action}), Cred::Bearer(&token))
        .await;
    r.assert_status(202);
    let r = app
        .post_event_as(
            &json!({"action": action, "user_id": alice.user_id}),
            Cred::Bearer(&token),
        )
        .await;
    r.assert_status(202);
    let r = app
        .post_event_as(
            &json!({"action": action, "user_id": bob.user_id}),
            Cred::Bearer(&token),
        )
        .await;
    r.assert_error(403, "forbidden");

    assert_eq!(
        app.user_metrics(&alice.user_id).await["actions"][&action],
        2
    );
    let bobs = app.user_metrics(&bob.user_id).await;
    assert_eq!(bobs["actions"][&action].as_u64().unwrap_or(0), 0, "{bobs}");
}
