//! Exactness under concurrency: one winner per username, exact counts.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use e2e::*;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Spellings of one name in mixed case, one per contender.
pub fn case_variants(name: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            name.chars()
                .enumerate()
                .map(|(j, c)| {
                    if (i >> (j % 5)) & 1 == 1 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect()
        })
        .collect()
}

/// Log in with each loser's password (all must fail) without tripping the
/// throttle: at most four failures, then the winner's password resets it.
/// Returns (successful logins, failed logins).
pub async fn check_only_winner_logs_in(
    apps: &[&TestApp],
    username: &str,
    winner_password: &str,
    loser_passwords: &[String],
) -> (u64, u64) {
    let mut ok = 0;
    let mut failed = 0;
    let mut turn = 0;
    let app = |t: usize| apps[t % apps.len()];
    let r = app(turn).login(username, winner_password).await;
    assert_eq!(r.status, 200, "the winner's password: {}", r.text);
    ok += 1;
    for batch in loser_passwords.chunks(4) {
        for p in batch {
            turn += 1;
            let r = app(turn).login(&username.to_uppercase(), p).await;
            assert_eq!(
                r.status, 401,
                "a losing registration's password must not log in: {}",
                r.text
            );
            r.assert_error(401, "invalid_credentials");
            failed += 1;
        }
        turn += 1;
        let r = app(turn).login(username, winner_password).await;
        assert_eq!(r.status, 200, "the winner's password: {}", r.text);
        ok += 1;
    }
    (ok, failed)
}

/// Register `variants` in parallel across `apps`; returns the winner's index
/// after asserting exactly one 201 and only 409 `username_taken` otherwise.
pub async fn race_registrations(
    apps: Vec<Arc<TestApp>>,
    variants: &[String],
    passwords: &[String],
) -> (usize, String) {
    let mut set = JoinSet::new();
    let start = Arc::new(tokio::sync::Barrier::new(variants.len()));
    for (i, (name, pw)) in variants.iter().zip(passwords).enumerate() {
        let app = apps[i % apps.len()].clone();
        let (name, pw) = (name.clone(), pw.clone());
        let start = start.clone();
        set.spawn(async move {
            start.wait().await;
            (i, app.register(&name, &pw).await)
        });
    }
    let mut winners = Vec::new();
    while let Some(res) = set.join_next().await {
        let (i, r) = res.expect("task");
        match r.status {
            201 => winners.push((i, r.str_field("user_id"))),
            409 => {
                r.assert_error(409, "username_taken");
            }
            other => panic!("registration {i} got {other}: {}", r.text),
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "exactly one of {} parallel registrations must win, got {winners:?}",
        variants.len()
    );
    winners.pop().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_registrations_of_one_name_have_one_winner() {
    let app = Arc::new(spawn_app().await);
    let name = unique_username("race");
    let variants = case_variants(&name, 24);
    let passwords: Vec<String> = (0..24).map(|_| strong_password()).collect();

    let (winner, user_id) = race_registrations(vec![app.clone()], &variants, &passwords).await;
    let losers: Vec<String> = passwords
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != winner)
        .map(|(_, p)| p.clone())
        .collect();
    let (ok, failed) = check_only_winner_logs_in(&[&app], &name, &passwords[winner], &losers).await;

    // Exactly one register event, and every login attempt, for the one user.
    app.wait_for_user_actions(
        &user_id,
        &[("register", 1), ("login", ok), ("login_failed", failed)],
        DELIVERY_TIMEOUT,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_distinct_events_and_retries_count_exactly() {
    let app = Arc::new(spawn_app().await);
    const DISTINCT: usize = 300;
    const RETRIES: usize = 120;
    let users: Vec<String> = (0..3).map(|_| format!("ext-{}", random_suffix())).collect();
    let actions: Vec<String> = (0..2).map(|_| unique_action("e2e.par")).collect();
    index_first(&app, &actions).await;
    let events: Vec<(String, Value)> = (0..DISTINCT)
        .map(|i| {
            let id = uuid::Uuid::new_v4().to_string();
            let body = json!({
                "event_id": id,
                "user_id": users[i % 3],
                "action": actions[i % 2],
                "metadata": {"i": i},
            });
            (id, body)
        })
        .collect();
    let before = app.metrics_actions().await;

    // Every distinct event once, and some of them again right behind their
    // originals, so that each retry races its original, all in flight
    // together.
    let retried: HashSet<usize> = (0..RETRIES).map(|i| (i * 7) % DISTINCT).collect();
    assert_eq!(retried.len(), RETRIES);
    let mut sends: Vec<(String, Value)> = Vec::with_capacity(DISTINCT + RETRIES);
    for (i, event) in events.iter().enumerate() {
        sends.push(event.clone());
        if retried.contains(&i) {
            sends.push(event.clone());
        }
    }
    let gate = Arc::new(Semaphore::new(48));
    let mut set = JoinSet::new();
    for (id, body) in sends {
        let app = app.clone();
        let gate = gate.clone();
        set.spawn(async move {
            let _permit = gate.acquire_owned().await.expect("semaphore");
            (id, app.post_event(&body).await)
        });
    }
    let mut recorded: HashMap<String, usize> = HashMap::new();
    let mut duplicates = 0;
    while let Some(res) = set.join_next().await {
        let (id, r) = res.expect("task");
        match r.status {
            202 => {
                assert_eq!(r.json["status"], "recorded", "{}", r.text);
                *recorded.entry(id.clone()).or_default() += 1;
            }
            200 => {
                assert_eq!(r.json["status"], "duplicate", "{}", r.text);
                duplicates += 1;
            }
            other => panic!("event {id}: status {other}: {}", r.text),
        }
        assert_eq!(r.json["event_id"], id.as_str(), "{}", r.text);
        assert!(r.json["total_events"].is_u64(), "{}", r.text);
    }
    assert_eq!(recorded.len(), DISTINCT, "every distinct event recorded");
    assert!(
        recorded.values().all(|n| *n == 1),
        "an event_id was recorded twice: {:?}",
        recorded.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>()
    );
    assert_eq!(duplicates, RETRIES, "every retry answered duplicate");

    // Per action, per user and global totals grew by exactly DISTINCT.
    let after = app.metrics_actions().await;
    for a in &actions {
        let grew =
            after["actions"][a].as_u64().unwrap_or(0) - before["actions"][a].as_u64().unwrap_or(0);
        assert_eq!(
            grew,
            (DISTINCT / 2) as u64,
            "action {a}: {before} -> {after}"
        );
    }
    for (u, user) in users.iter().enumerate() {
        let m = app.user_metrics(user).await;
        assert_eq!(m["total"], (DISTINCT / 3) as u64, "user {user}: {m}");
        for (k, a) in actions.iter().enumerate() {
            let expect = (0..DISTINCT).filter(|i| i % 3 == u && i % 2 == k).count() as u64;
            assert_eq!(m["actions"][a].as_u64(), Some(expect), "user {user}: {m}");
        }
    }
    let grew = after["total"].as_u64().unwrap() - before["total"].as_u64().unwrap();
    if app.is_local() {
        assert_eq!(grew, DISTINCT as u64, "global total: {before} -> {after}");
        let sum: u64 = after["actions"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(
            sum,
            after["total"].as_u64().unwrap(),
            "total is the sum: {after}"
        );
    } else {
        assert!(grew >= DISTINCT as u64, "global total: {before} -> {after}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_logins_are_all_counted() {
    let app = Arc::new(spawn_app().await);
    let user = app.register_user().await;
    const LOGINS: usize = 20;
    let mut set = JoinSet::new();
    for _ in 0..LOGINS {
        let app = app.clone();
        let user = user.clone();
        set.spawn(async move { app.login(&user.username, &user.password).await });
    }
    // At most 5 passwords are checked at once per account (the throttle
    // counts before checking); the rest are refused with 429, and every
    // login that got a token is counted once.
    let mut tokens = std::collections::HashSet::new();
    let mut ok = 0;
    while let Some(r) = set.join_next().await {
        let r = r.expect("task");
        if r.status == 429 {
            r.assert_error(429, "too_many_attempts");
            continue;
        }
        r.assert_status(200);
        ok += 1;
        tokens.insert(r.str_field("token"));
    }
    assert!(ok >= 5, "at least the allowance logs in: {ok}");
    assert_eq!(tokens.len(), ok, "every login gets its own token");
    app.wait_for_user_actions(
        &user.user_id,
        &[("register", 1), ("login", ok as u64)],
        DELIVERY_TIMEOUT,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_event_sent_many_times_at_once_is_recorded_once() {
    let app = Arc::new(spawn_app().await);
    // A lost race needs two copies inside one claim's few microseconds, so
    // several rounds of many copies each make a non-atomic claim show.
    const ROUNDS: usize = 5;
    const COPIES: usize = 100;
    let action = unique_action("e2e.race");
    index_first(&app, std::slice::from_ref(&action)).await;
    for _ in 0..ROUNDS {
        let user = format!("ext-{}", random_suffix());
        let body = json!({
            "event_id": uuid::Uuid::new_v4().to_string(),
            "user_id": user,
            "action": action,
        });
        let mut set = JoinSet::new();
        for _ in 0..COPIES {
            let app = app.clone();
            let body = body.clone();
            set.spawn(async move { app.post_event(&body).await.status });
        }
        let mut recorded = 0;
        while let Some(status) = set.join_next().await {
            match status.expect("task") {
                202 => recorded += 1,
                200 => {}
                other => panic!("unexpected status {other}"),
            }
        }
        assert_eq!(recorded, 1, "one of {COPIES} racing copies is recorded");

        let metrics = app.user_metrics(&user).await;
        assert_eq!(metrics["actions"][&action], 1, "counted once: {metrics}");
        assert_eq!(metrics["total"], 1, "counted once: {metrics}");
    }
}

/// Records one event of each of `actions` under a user of its own, so that
/// racing copies race for the event's claim, not for the index: copies of
/// a name the index has never seen first race to add it (one adds it, the
/// others wait), and any slot that race takes is never given back, which a
/// shared deployment running the suite again and again would feel.
async fn index_first(app: &TestApp, actions: &[String]) {
    let indexer = format!("ext-indexer-{}", random_suffix());
    for action in actions {
        let r = app
            .post_event(&json!({"user_id": indexer, "action": action}))
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
    }
}
