//! The path SpinKube takes: the built app pushed to a real OCI registry
//! with `spin registry push`, then run from there with `spin up --from`.
//! Spin 4.0.x composes the channel providers into the channels component as
//! it pushes, 3.6 pushes them beside it. Each runs on either line: the test
//! command runs this on each line once with its own artifact and once with
//! the other line's (`SPIN_PUSH`).

use e2e::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_app_pushed_to_a_registry_runs_from_it() {
    if skip_external("pushes the local build to a local registry") {
        return;
    }
    let (_registry, reference) = registry_with_the_app("seed-services").await;
    let Some(app) = app()
        .from_registry(&reference)
        .spawn_local("runs the pushed app")
        .await
    else {
        return;
    };
    smoke(&app).await;
    app.shutdown().await;
}

/// Every service answers, and one user's journey crosses all three.
async fn smoke(app: &TestApp) {
    for service in ["auth", "analytics", "notification"] {
        let health = app
            .get_with(&format!("/{service}/health"), Cred::None)
            .await;
        health.assert_status(200);
        assert_eq!(health.json["service"], service, "{}", health.text);
    }
    let docs = app.get_with("/docs", Cred::None).await;
    docs.assert_status(200);

    let user = app.register_user().await;
    let token = app.login_token(&user).await;
    let me = app.me(&token).await;
    me.assert_status(200);
    assert_eq!(me.json["user_id"], user.user_id.as_str(), "{}", me.text);
    let action = unique_action("oci");
    app.post_event_as(&json!({"action": action}), Cred::Bearer(&token))
        .await
        .assert_status(202);
    app.wait_for_user_actions(
        &user.user_id,
        &[("register", 1), ("login", 1), (action.as_str(), 1)],
        DELIVERY_TIMEOUT,
    )
    .await;
    app.wait_for_notifications(&user.user_id, 2, DELIVERY_TIMEOUT)
        .await;
}
