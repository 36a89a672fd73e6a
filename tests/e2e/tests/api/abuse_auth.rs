//! Auth under abuse and faults: a burst of guesses checks five passwords,
//! unknown names leave the same public trace as known ones, and the outbox
//! keeps what a misconfigured peer refuses, dead-letters only what can
//! never succeed, and is not held up by entries that keep failing.

use std::sync::Arc;
use std::time::Duration;

use e2e::*;
use tokio::task::JoinSet;

async fn flush(app: &TestApp) -> Value {
    let r = app
        .send(app.with(app.post("/auth/outbox/flush"), Cred::Internal))
        .await;
    r.assert_status(200);
    r.json.clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn forty_parallel_guesses_check_exactly_five_passwords() {
    let app = Arc::new(spawn_app().await);
    let user = app.register_user().await;
    let mut set = JoinSet::new();
    for _ in 0..40 {
        let (app, name) = (app.clone(), user.username.clone());
        set.spawn(async move { app.login(&name, "Wrong-guess-123").await });
    }
    let (mut checked, mut refused) = (0, 0);
    while let Some(r) = set.join_next().await {
        let r = r.expect("task");
        match r.status {
            401 => {
                r.assert_error(401, "invalid_credentials");
                checked += 1;
            }
            429 => {
                r.assert_error(429, "too_many_attempts");
                let retry: u64 = r
                    .header("retry-after")
                    .and_then(|v| v.parse().ok())
                    .expect("Retry-After in seconds");
                // 15 minutes from the newest failure, or a second while
                // attempts are still being checked.
                assert!(retry == 1 || (870..=900).contains(&retry), "{retry}");
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    // A 401 is a checked password (a 429 is refused before checking), and
    // every check leaves exactly one login_failed event.
    assert_eq!((checked, refused), (5, 35));
    app.login(&user.username, &user.password)
        .await
        .assert_error(429, "too_many_attempts");
    app.wait_for_user_actions(
        &user.user_id,
        &[("register", 1), ("login_failed", 5)],
        DELIVERY_TIMEOUT,
    )
    .await;
    app.nudge_delivery().await;
    assert_eq!(
        actions_of(&app.user_metrics(&user.user_id).await),
        [("login_failed".to_string(), 5), ("register".to_string(), 1)]
    );
}

/// A burst of sign-ins with the right password: those past the five
/// checks the throttle allows at once are refused, but nothing failed, so
/// they are told to ask again in a second, not in 15 minutes; and then
/// they get in.
#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_right_passwords_is_told_to_ask_again_in_a_second() {
    let app = Arc::new(spawn_app().await);
    let user = app.register_user().await;
    let mut set = JoinSet::new();
    for _ in 0..12 {
        let (app, name, password) = (app.clone(), user.username.clone(), user.password.clone());
        set.spawn(async move { app.login(&name, &password).await });
    }
    let (mut signed_in, mut refused) = (0, 0);
    while let Some(r) = set.join_next().await {
        let r = r.expect("task");
        match r.status {
            200 => signed_in += 1,
            429 => {
                r.assert_error(429, "too_many_attempts");
                assert_eq!(r.header("retry-after"), Some("1"), "{}", r.text);
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert!(
        signed_in >= 1 && refused >= 1,
        "{signed_in} in, {refused} refused"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    app.login(&user.username, &user.password)
        .await
        .assert_status(200);
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_for_unknown_and_impossible_names_are_counted_like_known_ones() {
    let Some(app) = app()
        .spawn_local("compares global counts, exact only on a private app")
        .await
    else {
        return;
    };
    let user = app.register_user().await;
    app.wait_for_user_actions(&user.user_id, &[("register", 1)], DELIVERY_TIMEOUT)
        .await;
    let failed = |m: &Value| m["actions"]["login_failed"].as_u64().unwrap_or(0);
    let before = app.metrics_actions().await;

    let known = app.login(&user.username, &strong_password()).await;
    let unknown = app
        .login(&unique_username("ghost"), &strong_password())
        .await;
    for r in [&known, &unknown] {
        r.assert_error(401, "invalid_credentials");
    }
    let strip = |r: &Reply| {
        let mut body = r.json.clone();
        body["request_id"] = Value::Null;
        body
    };
    assert_eq!(strip(&known), strip(&unknown), "same body");
    for _ in 0..2 {
        app.login(&unique_username("ghost"), &strong_password())
            .await
            .assert_error(401, "invalid_credentials");
    }
    // Names no account can have fail the same way, and count too.
    for impossible in ["x", "no spaces here"] {
        let r = app.login(impossible, &strong_password()).await;
        assert_eq!(strip(&r), strip(&known), "same body for {impossible:?}");
    }
    eventually("six login_failed events", DELIVERY_TIMEOUT, || async {
        app.nudge_delivery().await;
        let after = app.metrics_actions().await;
        if failed(&after) == failed(&before) + 6 {
            Ok(())
        } else {
            Err(format!("{before} -> {after}"))
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_peer_refusing_a_mismatched_key_keeps_the_entries() {
    if skip_external("starts one instance per service") {
        return;
    }
    // Auth keeps one analytics URL while the instance behind it is replaced.
    let analytics_address = Relay::start().await;
    let wrong = app()
        .components(&["analytics"])
        .internal_key(format!("other-{}", random_suffix()))
        .spawn_local("splits the services")
        .await
        .unwrap();
    analytics_address.forward_to(wrong.addr());
    let notification = ScriptedPeer::start(|_| 202).await;
    let key = format!("ik-{}", random_suffix());
    let auth = app()
        .components(&["auth"])
        .internal_key(key.clone())
        .variable("analytics_url", analytics_address.url())
        .variable("notification_url", notification.url())
        .spawn_local("splits the services")
        .await
        .unwrap();
    let user = auth.register_user().await;

    // Analytics answers 401 (not our key): the event is kept, not dropped
    // and not dead-lettered; the welcome went to the notification peer
    // (once the register's own delivery is done: flushes leave it alone
    // until then).
    let report = eventually(
        "the event kept, the welcome gone",
        DELIVERY_TIMEOUT,
        || async {
            let report = flush(&auth).await;
            (report["pending"] == 1)
                .then(|| report.clone())
                .ok_or(report.to_string())
        },
    )
    .await;
    assert_eq!(report["dead_letters"], 0, "{report}");
    // Analytics writes its access line after its answer has gone.
    eventually(
        "analytics' line refusing the wrong key",
        Duration::from_secs(5),
        || async {
            let log = wrong.stderr("analytics");
            json_lines(&log)
                .any(|line| {
                    line["event"] == "request"
                        && line["path"] == "/analytics/events"
                        && line["status"] == 401
                })
                .then_some(())
                .ok_or(format!("no such line:\n{log}"))
        },
    )
    .await;

    // The operator fixes the key; the kept event arrives.
    wrong.shutdown().await;
    let right = app()
        .components(&["analytics"])
        .internal_key(key)
        .spawn_local("splits the services")
        .await
        .unwrap();
    analytics_address.forward_to(right.addr());
    eventually("the kept register event", DELIVERY_TIMEOUT, || async {
        let report = flush(&auth).await;
        let m = right.user_metrics(&user.user_id).await;
        if actions_of(&m) == [("register".to_string(), 1)] && report["pending"] == 0 {
            Ok(())
        } else {
            Err(format!("metrics {m}, flush {report}"))
        }
    })
    .await;
}

/// Auth alone, with both peers played by scripted receivers.
async fn auth_with_peers(analytics: &ScriptedPeer, notification: &ScriptedPeer) -> TestApp {
    app()
        .components(&["auth"])
        .variable("analytics_url", analytics.url())
        .variable("notification_url", notification.url())
        .spawn_local("points the peers at scripted receivers")
        .await
        .unwrap()
}

/// A peer that accepted an entry and then sent an answer body auth cannot
/// read (here over its 64 KiB cap) took it all the same: it leaves the
/// outbox and is not sent again.
#[tokio::test(flavor = "multi_thread")]
async fn an_entry_accepted_with_an_unreadable_answer_leaves_the_outbox() {
    if skip_external("points the peers at scripted receivers") {
        return;
    }
    let analytics = WebhookServer::answering(vec![202], "", &"x".repeat(70 * 1024)).await;
    let notification = ScriptedPeer::start(|_| 202).await;
    let app = app()
        .components(&["auth"])
        .variable("analytics_url", analytics.origin())
        .variable("notification_url", notification.url())
        .spawn_local("points the peers at scripted receivers")
        .await
        .unwrap();
    app.register_user().await;
    eventually("the outbox empty", DELIVERY_TIMEOUT, || async {
        let report = flush(&app).await;
        (report["pending"] == 0 && report["dead_letters"] == 0)
            .then_some(())
            .ok_or(report.to_string())
    })
    .await;
    // Flushes leave an entry to its own request while it delivers it; an
    // attempt that timed out on a busy machine is sent again once ripe
    // (the receiver deduplicates). Once it has left the outbox, never.
    let sent = analytics.requests().len();
    assert!(sent >= 1, "sent");
    let again = flush(&app).await;
    assert_eq!(again["pending"], 0, "{again}");
    assert_eq!(analytics.requests().len(), sent, "sent again after it left");
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_for_good_goes_to_the_dead_letters_and_can_be_replayed() {
    if skip_external("points the peers at scripted receivers") {
        return;
    }
    let analytics = ScriptedPeer::start(|_| 422).await;
    let notification = ScriptedPeer::start(|_| 202).await;
    let app = auth_with_peers(&analytics, &notification).await;
    let user = app.register_user().await;

    let letters = eventually("a dead letter", DELIVERY_TIMEOUT, || async {
        let r = app
            .send(app.with(app.get("/auth/outbox/dead-letters"), Cred::Internal))
            .await;
        r.assert_status(200);
        match r.json["dead_letters"].as_array() {
            Some(list) if !list.is_empty() => Ok(r.json.clone()),
            _ => Err(r.text.clone()),
        }
    })
    .await;
    assert_eq!(letters["waiting"], 1, "{letters}");
    let letter = &letters["dead_letters"][0];
    assert_eq!(letter["target"], "analytics");
    assert_eq!(letter["status"], 422);
    assert_eq!(letter["what"], "register");
    assert_eq!(letter["user_id"], user.user_id.as_str());
    let event_id = letter["delivery_id"].as_str().unwrap().to_string();
    // Not kept in the outbox, once the register's own round (which wrote
    // the letter before it drops the entries) is done.
    eventually("the outbox empty", DELIVERY_TIMEOUT, || async {
        let report = flush(&app).await;
        (report["pending"] == 0)
            .then_some(())
            .ok_or(report.to_string())
    })
    .await;
    // Nothing older: no page after this one.
    assert!(letters.get("next_before").is_none(), "{letters}");
    let number = letter["number"].as_u64().unwrap();
    let older = format!("/auth/outbox/dead-letters?limit=1&before={number}");
    let r = app.send(app.with(app.get(&older), Cred::Internal)).await;
    r.assert_status(200);
    assert_eq!(r.json["dead_letters"], serde_json::json!([]), "{}", r.text);
    let most = "/auth/outbox/dead-letters?limit=100";
    let r = app.send(app.with(app.get(most), Cred::Internal)).await;
    r.assert_status(200);
    assert_eq!(r.json["dead_letters"][0], *letter, "{}", r.text);
    for bad in [
        "/auth/outbox/dead-letters?before=0",
        "/auth/outbox/dead-letters?before=%2B1",
        "/auth/outbox/dead-letters?limit=%2B1",
        "/auth/outbox/dead-letters?limit=0",
        "/auth/outbox/dead-letters?limit=101",
    ] {
        app.send(app.with(app.get(bad), Cred::Internal))
            .await
            .assert_error(422, "validation_failed");
    }
    app.send(app.with(
        app.post("/auth/outbox/dead-letters/+1/replay"),
        Cred::Internal,
    ))
    .await
    .assert_error(422, "validation_failed");

    // Operators only.
    app.send(app.get("/auth/outbox/dead-letters"))
        .await
        .assert_error(401, "unauthorized");
    let replay = format!("/auth/outbox/dead-letters/{number}/replay");
    app.send(app.post(&replay))
        .await
        .assert_error(401, "unauthorized");

    // The receiver is fixed; the replay delivers the same event id. Only
    // what follows is counted: an attempt of the register's own that timed
    // out on a busy machine is sent again once ripe, at least once as
    // delivery is.
    let sent_before_replay = analytics.requests().len();
    analytics.answer(|_| 202);
    let r = app.send(app.with(app.post(&replay), Cred::Internal)).await;
    r.assert_status(202);
    app.send(app.with(app.post(&replay), Cred::Internal))
        .await
        .assert_error(404, "not_found");
    // An attempt that timed out on a busy machine is sent again once ripe.
    eventually("the replayed entry delivered", DELIVERY_TIMEOUT, || async {
        let report = flush(&app).await;
        (report["pending"] == 0 && report["dead_letters"] == 0)
            .then_some(())
            .ok_or(report.to_string())
    })
    .await;
    let sent: Vec<String> = analytics
        .requests()
        .iter()
        .map(|r| r.json()["event_id"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(sent.len() > sent_before_replay, "the replay was delivered");
    assert!(sent.iter().all(|id| *id == event_id), "one id: {sent:?}");
    // Delivered, it is never sent again.
    let again = flush(&app).await;
    assert_eq!(again["pending"], 0, "{again}");
    assert_eq!(analytics.requests().len(), sent.len(), "sent again");
}

/// Entries whose receivers keep failing do not hold back the others. All
/// real parts: the peers are first unreachable, then the real analytics
/// and notification, whose Redis holds a broken counter for each "stuck"
/// user, so that every delivery about those users fails there with a 500.
#[tokio::test(flavor = "multi_thread")]
async fn entries_that_keep_failing_do_not_hold_back_the_others() {
    let closed = ClosedPort::bind();
    let Some(app) = app()
        .own_redis()
        .variable("analytics_url", closed.url())
        .variable("notification_url", closed.url())
        .spawn_local("breaks keys in the app's Redis and restarts the app")
        .await
    else {
        return;
    };
    // 40 "stuck" users and then 5 "fine" users register while the peers
    // cannot be reached: 90 entries kept.
    let mut stuck = Vec::new();
    for i in 0..40 {
        let r = app
            .register(&format!("stuck{i}-{}", random_suffix()), &strong_password())
            .await;
        r.assert_status(201);
        stuck.push(r.str_field("user_id"));
    }
    let mut fine = Vec::new();
    for i in 0..5 {
        let r = app
            .register(&format!("fine{i}-{}", random_suffix()), &strong_password())
            .await;
        r.assert_status(201);
        fine.push(r.str_field("user_id"));
    }
    // Each stuck user's register counter in analytics and notification
    // sequence, broken: an increment of them fails, as a store would.
    let redis = app.redis();
    let (analytics_db, notification_db) = (
        app.redis_database("analytics"),
        app.redis_database("notification"),
    );
    for user_id in &stuck {
        let digest = sha256_hex(user_id);
        redis.run_in_db::<()>(
            analytics_db,
            &["SET", &format!("count:user:register/{digest}"), "broken"],
        );
        redis.run_in_db::<()>(
            notification_db,
            &["SET", &format!("user:{digest}:seq"), "broken"],
        );
    }
    let app = app
        .restart_with(vec![
            ("analytics_url", "http://analytics.spin.internal".to_owned()),
            (
                "notification_url",
                "http://notification.spin.internal".to_owned(),
            ),
        ])
        .await;

    let report = eventually("everything deliverable", DELIVERY_TIMEOUT, || async {
        let report = flush(&app).await;
        if report["pending"] == 80 && report["complete"] == true {
            Ok(report)
        } else {
            Err(report.to_string())
        }
    })
    .await;
    assert_eq!(report["dead_letters"], 0, "{report}");
    for user_id in &fine {
        let counts = app.user_metrics(user_id).await;
        assert_eq!(counts["actions"]["register"], 1, "{user_id}: {counts}");
        let welcome = app.notifications(user_id, Cred::Internal, "").await;
        assert_eq!(
            welcome.json["notifications"].as_array().map(Vec::len),
            Some(1),
            "{user_id}'s welcome got past the stuck ones: {}",
            welcome.text
        );
    }
}
