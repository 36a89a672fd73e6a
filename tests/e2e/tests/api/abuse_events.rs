//! Events from hostile or unlucky users: a bearer token cannot forge the
//! system's account events, cannot fill the action index every user shares,
//! and cannot make another user's event a duplicate; the internal key and
//! other users keep working throughout.

use e2e::*;
use sha2::{Digest, Sha256};

const SYSTEM_ACTIONS: [&str; 4] = ["register", "login", "login_failed", "logout"];
/// New action names one user may introduce (the OpenAPI document says 10).
const USER_NEW_ACTIONS: usize = 10;

#[tokio::test(flavor = "multi_thread")]
async fn a_bearer_token_cannot_record_the_systems_actions() {
    let app = spawn_app().await;
    let mallory = app.register_user().await;
    let token = app.login_token(&mallory).await;
    app.wait_for_user_actions(
        &mallory.user_id,
        &[("register", 1), ("login", 1)],
        DELIVERY_TIMEOUT,
    )
    .await;
    let before = app.user_metrics(&mallory.user_id).await;

    for action in SYSTEM_ACTIONS {
        for body in [
            json!({"action": action}),
            json!({"action": action, "user_id": mallory.user_id}),
        ] {
            app.post_event_as(&body, Cred::Bearer(&token))
                .await
                .assert_error(403, "reserved_action");
        }
    }
    assert_eq!(
        app.user_metrics(&mallory.user_id).await,
        before,
        "no forged event was counted"
    );

    // The internal key still records them, and the user's other actions work.
    let body = json!({"action": "logout", "user_id": mallory.user_id});
    app.post_event(&body).await.assert_status(202);
    app.post_event_as(&json!({"action": "e2e.page"}), Cred::Bearer(&token))
        .await
        .assert_status(202);
    let after = app.user_metrics(&mallory.user_id).await;
    assert_eq!(after["actions"]["logout"], 1, "{after}");
    assert_eq!(after["actions"]["e2e.page"], 1, "{after}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_introduces_a_few_new_action_names_and_then_only_known_ones() {
    let app = spawn_app().await;
    let mallory = app.register_user().await;
    let token = app.login_token(&mallory).await;
    let names: Vec<String> = (0..USER_NEW_ACTIONS)
        .map(|_| unique_action("e2e.flood"))
        .collect();
    for name in &names {
        app.post_event_as(&json!({"action": name}), Cred::Bearer(&token))
            .await
            .assert_status(202);
    }
    let one_more = unique_action("e2e.flood");
    for _ in 0..3 {
        app.post_event_as(&json!({"action": one_more}), Cred::Bearer(&token))
            .await
            .assert_error(403, "action_quota_exceeded");
    }
    let global = app.metrics_actions().await;
    assert!(global["actions"].get(&one_more).is_none(), "{global}");

    // Known names still count for her: her own, and others'.
    app.post_event_as(&json!({"action": names[0]}), Cred::Bearer(&token))
        .await
        .assert_status(202);
    // Another user introduces new names of its own.
    let bob = app.register_user().await;
    let bobs_token = app.login_token(&bob).await;
    let bobs_name = unique_action("e2e.bob");
    app.post_event_as(&json!({"action": bobs_name}), Cred::Bearer(&bobs_token))
        .await
        .assert_status(202);
    app.post_event_as(&json!({"action": bobs_name}), Cred::Bearer(&token))
        .await
        .assert_status(202);
    // The internal key introduces the name she could not; then it is known.
    app.post_event(&json!({"action": one_more, "user_id": mallory.user_id}))
        .await
        .assert_status(202);
    app.post_event_as(&json!({"action": one_more}), Cred::Bearer(&token))
        .await
        .assert_status(202);

    let mine = app.user_metrics(&mallory.user_id).await;
    assert_eq!(mine["actions"][&names[0]], 2, "{mine}");
    assert_eq!(mine["actions"][&bobs_name], 1, "{mine}");
    assert_eq!(mine["actions"][&one_more], 2, "{mine}");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_client_actions_set_a_user_records_only_those() {
    let Some(app) = app()
        .variable("client_actions", "e2e.view, e2e.search")
        .spawn_local("sets the client_actions variable")
        .await
    else {
        return;
    };
    let alice = app.register_user().await;
    let token = app.login_token(&alice).await;
    for action in ["e2e.view", "e2e.search"] {
        app.post_event_as(&json!({"action": action}), Cred::Bearer(&token))
            .await
            .assert_status(202);
    }
    app.post_event_as(&json!({"action": "e2e.other"}), Cred::Bearer(&token))
        .await
        .assert_error(403, "action_not_allowed");
    app.post_event_as(&json!({"action": "login"}), Cred::Bearer(&token))
        .await
        .assert_error(403, "reserved_action");
    // The internal key is not bound by the list.
    app.post_event(&json!({"action": "e2e.other", "user_id": alice.user_id}))
        .await
        .assert_status(202);
    let mine = app.user_metrics(&alice.user_id).await;
    assert_eq!(mine["actions"]["e2e.view"], 1, "{mine}");
    assert_eq!(mine["actions"]["e2e.other"], 1, "{mine}");
}

/// An operator who narrows the list does not turn a client's redelivery of
/// an event already counted into a refusal: the contract answers every
/// repeat `duplicate`. New events of the dropped action are refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_repeat_after_the_client_actions_narrow_is_still_a_duplicate() {
    let Some(app) = app()
        .variable("client_actions", "e2e.view, e2e.search")
        .spawn_local("sets the client_actions variable and restarts")
        .await
    else {
        return;
    };
    let alice = app.register_user().await;
    let token = app.login_token(&alice).await;
    let body = json!({"event_id": uuid::Uuid::new_v4().to_string(), "action": "e2e.view"});
    app.post_event_as(&body, Cred::Bearer(&token))
        .await
        .assert_status(202);

    let app = app
        .restart_with(vec![("client_actions", "e2e.search".to_string())])
        .await;
    let again = app.post_event_as(&body, Cred::Bearer(&token)).await;
    again.assert_status(200);
    assert_eq!(again.json["status"], "duplicate", "{}", again.text);
    app.post_event_as(&json!({"action": "e2e.view"}), Cred::Bearer(&token))
        .await
        .assert_error(403, "action_not_allowed");
    let mine = app.user_metrics(&alice.user_id).await;
    assert_eq!(mine["actions"]["e2e.view"], 1, "{mine}");
}

/// The same `event_id` from two users is two events, with bearer tokens and
/// with the internal key naming the users; each user's repeat is still a
/// duplicate.
async fn event_ids_are_scoped_to_their_user(app: &TestApp) {
    let alice = app.register_user().await;
    let bob = app.register_user().await;
    let alices = app.login_token(&alice).await;
    let bobs = app.login_token(&bob).await;
    let action = unique_action("e2e.scope");
    let id = uuid::Uuid::new_v4().to_string();
    let body = json!({"event_id": id, "action": action});

    app.post_event_as(&body, Cred::Bearer(&alices))
        .await
        .assert_status(202);
    let second = app.post_event_as(&body, Cred::Bearer(&bobs)).await;
    second.assert_status(202);
    assert_eq!(second.json["status"], "recorded", "{}", second.text);
    let carol = format!("ext-{}", random_suffix());
    app.post_event(&json!({"event_id": id, "action": action, "user_id": carol}))
        .await
        .assert_status(202);

    for token in [&alices, &bobs] {
        let again = app.post_event_as(&body, Cred::Bearer(token)).await;
        again.assert_status(200);
        assert_eq!(again.json["status"], "duplicate", "{}", again.text);
    }
    for user in [&alice.user_id, &bob.user_id, &carol] {
        let theirs = app.user_metrics(user).await;
        assert_eq!(theirs["actions"][&action], 1, "{user}: {theirs}");
    }
    let global = app.metrics_actions().await;
    assert_eq!(global["actions"][&action], 3, "{global}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_event_id_from_two_users_is_two_events() {
    let app = spawn_app().await;
    event_ids_are_scoped_to_their_user(&app).await;
}

/// A user knows their token, so an id computable from the token alone is
/// one they can take first. The user here takes the ids that unkeyed
/// digests of the token's store key, and of its digest alone, would give;
/// the logout event must still count.
#[tokio::test(flavor = "multi_thread")]
async fn a_user_cannot_take_their_logout_events_id_first() {
    let app = spawn_app().await;
    let mallory = app.register_user().await;
    let token = app.login_token(&mallory).await;
    let action = unique_action("e2e.guess");
    let guesses = ids_from_token_alone(&token);
    for guessed in &guesses {
        let taken = app
            .post_event_as(
                &json!({"event_id": guessed, "action": action}),
                Cred::Bearer(&token),
            )
            .await;
        taken.assert_status(202);
    }

    app.logout(&token).await.assert_status(204);
    app.wait_for_user_actions(
        &mallory.user_id,
        &[
            ("register", 1),
            ("login", 1),
            (&action, guesses.len() as u64),
            ("logout", 1),
        ],
        DELIVERY_TIMEOUT,
    )
    .await;
}

/// UUIDs of SHA-256 digests of what auth stores a token under (`token:`
/// and the token's hex digest) and of the hex digest alone, each after
/// `logout:`: what the logout event's id would be without the key.
fn ids_from_token_alone(token: &str) -> Vec<String> {
    let token_digest = sha256_hex(token);
    [
        format!("logout:token:{token_digest}"),
        format!("logout:{token_digest}"),
    ]
    .iter()
    .map(|input| {
        let digest = Sha256::digest(input.as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    })
    .collect()
}

/// On Redis the service counts its total in a counter of its own instead of
/// summing: the same rules hold, and `total_events` agrees with the metrics.
#[tokio::test(flavor = "multi_thread")]
async fn on_redis_the_same_rules_hold_and_totals_agree() {
    let Some(app) = app()
        .own_redis()
        .spawn_local("uses the Redis runtime config")
        .await
    else {
        return;
    };
    event_ids_are_scoped_to_their_user(&app).await;
    let user = app.register_user().await;
    let token = app.login_token(&user).await;
    app.post_event_as(&json!({"action": "login"}), Cred::Bearer(&token))
        .await
        .assert_error(403, "reserved_action");
    // Auth's own events may still be arriving; once they are all in, the
    // counter and the sum agree.
    let app = &app;
    let user_id = user.user_id.clone();
    eventually(
        "total_events to agree with the metrics",
        DELIVERY_TIMEOUT,
        || {
            let body = json!({"action": "e2e.redis.total", "user_id": user_id});
            async move {
                let recorded = app.post_event(&body).await;
                recorded.assert_status(202);
                let global = app.metrics_actions().await;
                if recorded.json["total_events"] == global["total"] {
                    Ok(())
                } else {
                    Err(format!("{} vs {global}", recorded.text))
                }
            }
        },
    )
    .await;
}

/// A store error after the event's claim: here Redis refuses to increment
/// the user's counter (a value that is not a number sits there). The
/// service reverses the action count, releases the claim and answers `500`;
/// once the store is healthy again, the sender's retry with the same
/// `event_id` counts the event exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn a_store_error_after_the_claim_does_not_lose_the_event() {
    let Some(app) = app()
        .own_redis()
        .spawn_local("breaks a key in the app's Redis")
        .await
    else {
        return;
    };
    let redis = app.redis();
    let analytics_db = app.redis_database("analytics");
    let user = format!("ext-{}", random_suffix());
    let action = unique_action("e2e.undo");
    let body = |id: &str| json!({"event_id": id, "user_id": user, "action": action});
    let app = &app;
    let post = |body: Value| async move { app.post_event(&body).await };
    post(body(&uuid::Uuid::new_v4().to_string()))
        .await
        .assert_status(202);
    let value_of = |key: &str| {
        redis
            .entries(analytics_db)
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| String::from_utf8_lossy(&v).into_owned())
    };
    let user_counter = redis
        .entries(analytics_db)
        .into_iter()
        .map(|(key, _)| key)
        .find(|key| key.starts_with(&format!("count:user:{action}/")))
        .expect("the user's counter of the action");
    let action_counter = format!("count:action:{action}");
    assert_eq!(value_of(&action_counter).as_deref(), Some("1"));

    redis.run_in_db::<()>(analytics_db, &["SET", &user_counter, "not-a-number"]);
    assert_eq!(value_of(&user_counter).as_deref(), Some("not-a-number"));
    let id = uuid::Uuid::new_v4().to_string();
    post(body(&id)).await.assert_error(500, "internal_error");
    assert_eq!(
        value_of(&action_counter).as_deref(),
        Some("1"),
        "the action count was reversed"
    );
    assert!(
        !redis
            .entries(analytics_db)
            .iter()
            .any(|(key, _)| key.starts_with("event:") && key.ends_with(&id)),
        "the claim was released"
    );
    assert!(
        app.stderr("analytics").contains("released for a retry"),
        "the log says what became of the event"
    );

    redis.run_in_db::<()>(analytics_db, &["SET", &user_counter, "1"]);
    let retry = post(body(&id)).await;
    retry.assert_status(202);
    assert_eq!(retry.json["status"], "recorded", "{}", retry.text);
    post(body(&id)).await.assert_status(200);
    let theirs = app.user_metrics(&user).await;
    assert_eq!(theirs["actions"][&action], 2, "{theirs}");
    let global = app.metrics_actions().await;
    assert_eq!(global["actions"][&action], 2, "{global}");
}

/// The action index holds 1,000 names. An internal sender that fills it
/// before auth has sent all of its actions does not make analytics refuse
/// them: each has a reserved place, and auth's events still count.
#[tokio::test(flavor = "multi_thread")]
async fn a_full_action_index_still_counts_the_systems_actions() {
    let Some(app) = app().spawn_local("fills the action index").await else {
        return;
    };
    let app = std::sync::Arc::new(app);
    let names: Vec<String> = (0..1000).map(|n| format!("e2e.fill.{n}")).collect();
    for chunk in names.chunks(25) {
        let mut sent = tokio::task::JoinSet::new();
        for name in chunk {
            let (app, body) = (app.clone(), json!({"user_id": "filler", "action": name}));
            sent.spawn(async move { app.post_event(&body).await });
        }
        while let Some(reply) = sent.join_next().await {
            reply.expect("task").assert_status(202);
        }
    }
    app.post_event(&json!({"user_id": "filler", "action": "e2e.one.too.many"}))
        .await
        .assert_invalid(&["action"]);

    app.post_event(&json!({"user_id": "filler", "action": "logout"}))
        .await
        .assert_status(202);
    let user = app.register_user().await;
    app.login_token(&user).await;
    app.wait_for_user_actions(
        &user.user_id,
        &[("register", 1), ("login", 1)],
        DELIVERY_TIMEOUT,
    )
    .await;
    let global = app.metrics_actions().await;
    for (action, count) in [
        ("logout", 1),
        ("register", 1),
        ("login", 1),
        ("e2e.fill.999", 1),
    ] {
        assert_eq!(global["actions"][action], count, "{action}");
    }
    assert!(global["actions"].get("e2e.one.too.many").is_none());
}
