//! Each service as its own app instance, wired by URL variables.

use e2e::*;

#[tokio::test(flavor = "multi_thread")]
async fn services_in_separate_instances_work_together() {
    if skip_external("starts one instance per service") {
        return;
    }
    let key = format!("ik-{}", random_suffix());
    // Analytics and notification need auth's URL before auth starts.
    let auth_address = Relay::start().await;

    let analytics = app()
        .components(&["analytics"])
        .internal_key(key.clone())
        .variable("auth_url", auth_address.url())
        .spawn_local("splits the services")
        .await
        .unwrap();
    let notification = app()
        .components(&["notification", "channels"])
        .internal_key(key.clone())
        .variable("auth_url", auth_address.url())
        .spawn_local("splits the services")
        .await
        .unwrap();
    let auth = app()
        .components(&["auth"])
        .internal_key(key.clone())
        .variable("analytics_url", analytics.base_url.clone())
        .variable("notification_url", notification.base_url.clone())
        .spawn_local("splits the services")
        .await
        .unwrap();
    auth_address.forward_to(auth.addr());

    // Each instance serves only its own service.
    auth.get_with("/auth/health", Cred::None)
        .await
        .assert_status(200);
    analytics
        .get_with("/analytics/health", Cred::None)
        .await
        .assert_status(200);
    notification
        .get_with("/notification/health", Cred::None)
        .await
        .assert_status(200);
    let r = auth.get_with("/analytics/health", Cred::None).await;
    assert_eq!(r.status, 404, "auth instance serves analytics: {}", r.text);

    let user = auth.register_user().await;
    let token = auth.login_token(&user).await;
    auth.me(&token).await.assert_status(200);

    // Auth's events reach the analytics instance, its notifications the
    // notification instance (nudged through the auth instance).
    eventually("split delivery", DELIVERY_TIMEOUT, || async {
        auth.nudge_delivery().await;
        let m = analytics.user_metrics(&user.user_id).await;
        let list = notification
            .notifications(&user.user_id, Cred::Internal, "")
            .await;
        let n = list.json["notifications"].as_array().map(Vec::len);
        if actions_of(&m) == [("login".to_string(), 1), ("register".to_string(), 1)] && n == Some(2)
        {
            Ok(())
        } else {
            Err(format!("metrics {m}, notifications {}", list.text))
        }
    })
    .await;

    // Bearer tokens are checked against the auth instance over HTTP.
    let r = analytics
        .post_event_as(&json!({"action": "e2e.split"}), Cred::Bearer(&token))
        .await;
    r.assert_status(202);
    analytics
        .user_metrics_as(&user.user_id, Cred::Bearer(&token))
        .await
        .assert_status(200);
    let own = notification
        .notifications(&user.user_id, Cred::Bearer(&token), "")
        .await;
    own.assert_status(200);
    assert_eq!(
        own.json["notifications"][1]["subject"], "Welcome",
        "{}",
        own.text
    );

    auth.logout(&token).await.assert_status(204);
    analytics
        .post_event_as(&json!({"action": "e2e.split"}), Cred::Bearer(&token))
        .await
        .assert_error(401, "unauthorized");
    notification
        .notifications(&user.user_id, Cred::Bearer(&token), "")
        .await
        .assert_error(401, "unauthorized");
}
