//! The Redis runtime config: one Redis server behind several instances.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use e2e::*;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::concurrency::{case_variants, check_only_winner_logs_in, race_registrations};

#[tokio::test(flavor = "multi_thread")]
async fn the_app_runs_on_redis() {
    let Some(app) = app()
        .own_redis()
        .spawn_local("uses the Redis runtime config")
        .await
    else {
        return;
    };
    for service in ["auth", "analytics", "notification"] {
        let r = app
            .get_with(&format!("/{service}/health"), Cred::None)
            .await;
        r.assert_status(200);
        assert_eq!(r.json["checks"]["kv"], "ok", "{}", r.text);
    }
    let user = app.register_user().await;
    let token = app.login_token(&user).await;
    app.me(&token).await.assert_status(200);
    let id = uuid::Uuid::new_v4().to_string();
    let event = json!({"event_id": id, "action": "e2e.redis"});
    app.post_event_as(&event, Cred::Bearer(&token))
        .await
        .assert_status(202);
    app.post_event_as(&event, Cred::Bearer(&token))
        .await
        .assert_status(200);
    app.wait_for_user_actions(
        &user.user_id,
        &[("register", 1), ("login", 1), ("e2e.redis", 1)],
        DELIVERY_TIMEOUT,
    )
    .await;
    app.wait_for_notifications(&user.user_id, 2, DELIVERY_TIMEOUT)
        .await;
    let global = app.metrics_actions().await;
    assert_eq!(
        global["total"], 3,
        "a fresh Redis holds only this test's events: {global}"
    );
    app.logout(&token).await.assert_status(204);
    app.me(&token).await.assert_unauthorized_bearer();
}

async fn two_instances(redis: &RedisServer) -> Option<(Arc<TestApp>, Arc<TestApp>)> {
    let key = format!("ik-{}", random_suffix());
    let a = app()
        .redis(redis.url())
        .internal_key(key.clone())
        .spawn_local("starts two instances on one Redis")
        .await?;
    let b = app()
        .redis(redis.url())
        .internal_key(key)
        .spawn_local("starts two instances on one Redis")
        .await?;
    assert_ne!(a.base_url, b.base_url);
    Some((Arc::new(a), Arc::new(b)))
}

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_on_one_redis_let_one_registration_win() {
    if skip_external("starts its own Redis server") {
        return;
    }
    let redis = redis_server();
    let Some((a, b)) = two_instances(&redis).await else {
        return;
    };
    let name = unique_username("rrace");
    let variants = case_variants(&name, 24);
    let passwords: Vec<String> = (0..24).map(|_| strong_password()).collect();
    let (winner, user_id) =
        race_registrations(vec![a.clone(), b.clone()], &variants, &passwords).await;
    let losers: Vec<String> = passwords
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != winner)
        .map(|(_, p)| p.clone())
        .collect();
    let (ok, failed) =
        check_only_winner_logs_in(&[&a, &b], &name, &passwords[winner], &losers).await;

    // A token from one instance works on the other.
    let user = TestUser {
        username: name.clone(),
        password: passwords[winner].clone(),
        user_id: user_id.clone(),
    };
    let token = a.login_token(&user).await;
    let me = b.me(&token).await;
    me.assert_status(200);
    assert_eq!(me.json["user_id"], user_id.as_str());

    a.wait_for_user_actions(
        &user_id,
        &[("register", 1), ("login", ok + 1), ("login_failed", failed)],
        DELIVERY_TIMEOUT,
    )
    .await;
    assert_eq!(
        a.user_metrics(&user_id).await,
        b.user_metrics(&user_id).await
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_on_one_redis_count_exactly() {
    if skip_external("starts its own Redis server") {
        return;
    }
    let redis = redis_server();
    let Some((a, b)) = two_instances(&redis).await else {
        return;
    };
    const DISTINCT: usize = 200;
    const RETRIES: usize = 60;
    let action = unique_action("e2e.shared");
    let user = format!("ext-{}", random_suffix());
    let events: Vec<Value> = (0..DISTINCT)
        .map(|_| json!({"event_id": uuid::Uuid::new_v4().to_string(), "user_id": user, "action": action}))
        .collect();
    // RETRIES events, every third from the first, are sent again right
    // behind their originals, to the other instance, so that the two race.
    let mut sends: Vec<(usize, Value)> = Vec::with_capacity(DISTINCT + RETRIES);
    for (n, event) in events.iter().enumerate() {
        sends.push((n, event.clone()));
        if n % 3 == 0 && n / 3 < RETRIES {
            sends.push((n + 1, event.clone()));
        }
    }
    assert_eq!(sends.len(), DISTINCT + RETRIES);
    let gate = Arc::new(Semaphore::new(32));
    let mut set = JoinSet::new();
    for (n, body) in sends {
        let app = if n % 2 == 0 { a.clone() } else { b.clone() };
        let gate = gate.clone();
        set.spawn(async move {
            let _p = gate.acquire_owned().await.expect("semaphore");
            (
                body["event_id"].as_str().unwrap().to_string(),
                app.post_event(&body).await,
            )
        });
    }
    let mut recorded = HashSet::new();
    let mut duplicates = 0;
    while let Some(res) = set.join_next().await {
        let (id, r) = res.expect("task");
        match r.status {
            202 => assert!(recorded.insert(id.clone()), "{id} recorded twice"),
            200 => {
                assert_eq!(r.json["status"], "duplicate", "{}", r.text);
                duplicates += 1;
            }
            other => panic!("event {id}: {other} {}", r.text),
        }
    }
    assert_eq!(recorded.len(), DISTINCT);
    assert_eq!(duplicates, RETRIES);

    for app in [&a, &b] {
        let global = app.metrics_actions().await;
        assert_eq!(global["total"], DISTINCT as u64, "{global}");
        assert_eq!(global["actions"][&action], DISTINCT as u64, "{global}");
        let m = app.user_metrics(&user).await;
        assert_eq!(m["total"], DISTINCT as u64, "{m}");
    }
}

/// On real Spin a key-value call to a stopped Redis waits until Spin's
/// client reconnects (over a minute): health must not. It reads the store
/// in another instance and answers `503` within 2 s.
#[tokio::test(flavor = "multi_thread")]
async fn health_answers_503_within_2_s_when_redis_is_stopped() {
    if skip_external("starts its own Redis server") {
        return;
    }
    let mut redis = redis_server();
    let Some(app) = app()
        .redis(redis.url())
        .spawn_local("stops the app's Redis server")
        .await
    else {
        return;
    };
    app.get_with("/auth/health", Cred::None)
        .await
        .assert_status(200);
    redis.stop();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for service in ["auth", "analytics", "notification"] {
        let started = std::time::Instant::now();
        let r = tokio::time::timeout(
            PROMPT,
            app.get_with(&format!("/{service}/health"), Cred::None),
        )
        .await
        .unwrap_or_else(|_| panic!("{service} health hangs when Redis is gone"));
        let took = started.elapsed();
        r.assert_status(503);
        assert_eq!(r.json["status"], "unavailable", "{}", r.text);
        assert_eq!(r.json["service"], service, "{}", r.text);
        assert_eq!(
            r.json["checks"]["kv"], "failed",
            "the check is named: {}",
            r.text
        );
        assert!(!r.request_id().is_empty());
        assert!(
            took <= Duration::from_secs(2),
            "{service} health took {took:?} with Redis stopped; the contract says 2 s"
        );
    }
}
