//! State lives in the stores: a restart on the same files keeps it all.

use e2e::*;

#[tokio::test(flavor = "multi_thread")]
async fn users_tokens_counts_and_dedupe_survive_a_restart() {
    let Some(app) = app().spawn_local("restarts the app").await else {
        return;
    };
    let user = app.register_user().await;
    let token = app.login_token(&user).await;
    let revoked = app.login_token(&user).await;
    app.logout(&revoked).await.assert_status(204);

    let action = unique_action("e2e.restart");
    let event_id = uuid::Uuid::new_v4().to_string();
    let event = json!({"event_id": event_id, "user_id": user.user_id, "action": action});
    app.post_event(&event).await.assert_status(202);
    let note = app
        .notify(&json!({"user_id": user.user_id, "message": "before restart"}))
        .await;
    note.assert_status(202);
    let note_id = note.str_field("notification_id");
    let idem = format!("idem-{}", random_suffix());
    let first = app
        .notify_with_key(&idem, &json!({"user_id": user.user_id, "message": "idem"}))
        .await;
    first.assert_status(202);

    let expected = [
        ("register", 1),
        ("login", 2),
        ("logout", 1),
        (action.as_str(), 1),
    ];
    let before_metrics = app
        .wait_for_user_actions(&user.user_id, &expected, DELIVERY_TIMEOUT)
        .await;
    let before_global = app.metrics_actions().await;
    let before_notes = app
        .wait_for_notifications(&user.user_id, 5, DELIVERY_TIMEOUT)
        .await;

    let app = app.restart().await;

    // The user and the live token are still there; the revoked one is not.
    let me = app.me(&token).await;
    me.assert_status(200);
    assert_eq!(me.json["user_id"], user.user_id.as_str());
    app.me(&revoked).await.assert_unauthorized_bearer();
    app.register(&user.username, &strong_password())
        .await
        .assert_error(409, "username_taken");

    // Counts and notifications are as they were.
    assert_eq!(app.user_metrics(&user.user_id).await, before_metrics);
    assert_eq!(app.metrics_actions().await, before_global);
    let r = app
        .notifications(&user.user_id, Cred::Internal, "?limit=100")
        .await;
    assert_eq!(r.json["notifications"].as_array().unwrap(), &before_notes);
    app.notification(&note_id, Cred::Internal)
        .await
        .assert_status(200);

    // Dedupe: the same event and the same idempotency key are repeats.
    let again = app.post_event(&event).await;
    again.assert_status(200);
    assert_eq!(again.json["status"], "duplicate");
    let repeat = app
        .notify_with_key(&idem, &json!({"user_id": user.user_id, "message": "idem"}))
        .await;
    repeat.assert_status(200);
    assert_eq!(repeat.json, first.json);

    // And the password still works (one more login).
    app.login_token(&user).await;
    let mut after = expected.to_vec();
    after[1] = ("login", 3);
    app.wait_for_user_actions(&user.user_id, &after, DELIVERY_TIMEOUT)
        .await;
}
