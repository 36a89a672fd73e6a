use e2e::*;

#[tokio::test(flavor = "multi_thread")]
async fn every_service_reports_ok_with_its_name_version_and_kv_check() {
    let app = spawn_app().await;
    for service in ["auth", "analytics", "notification"] {
        let r = app
            .get_with(&format!("/{service}/health"), Cred::None)
            .await;
        r.assert_status(200);
        assert!(
            r.header("content-type")
                .unwrap_or("")
                .starts_with("application/json"),
            "{service} health content-type"
        );
        assert_eq!(r.json["status"], "ok", "{service}: {}", r.text);
        assert_eq!(r.json["service"], service, "{service}: {}", r.text);
        // Every component takes the workspace's version, as this crate does.
        assert_eq!(
            r.json["version"],
            env!("CARGO_PKG_VERSION"),
            "{service}: {}",
            r.text
        );
        assert_eq!(r.json["checks"]["kv"], "ok", "{service}: {}", r.text);
        assert!(!r.request_id().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn health_needs_no_credentials_and_ignores_bad_ones() {
    let app = spawn_app().await;
    for service in ["auth", "analytics", "notification"] {
        let r = app
            .get_with(&format!("/{service}/health"), Cred::Key("wrong-key"))
            .await;
        r.assert_status(200);
        let r = app
            .get_with(&format!("/{service}/health"), Cred::Bearer("not-a-token"))
            .await;
        r.assert_status(200);
    }
}

/// The store probe behind health is an internal route: only the internal
/// key reaches it.
#[tokio::test(flavor = "multi_thread")]
async fn the_store_probe_takes_only_the_internal_key() {
    let app = spawn_app().await;
    let user = app.register_user().await;
    let token = app.login_token(&user).await;
    let unknown = uuid::Uuid::new_v4().to_string();
    for service in ["auth", "analytics", "notification"] {
        let probe = format!("/{service}/health/kv");
        app.get_with(&probe, Cred::None)
            .await
            .assert_error(401, "unauthorized");
        app.get_with(&probe, Cred::Key("wrong-key"))
            .await
            .assert_error(401, "unauthorized");
        app.get_with(&probe, Cred::Bearer(&unknown))
            .await
            .assert_error(401, "unauthorized");
        app.get_with(&probe, Cred::Bearer(&token))
            .await
            .assert_error(403, "forbidden");
        let r = app.get_with(&probe, Cred::Internal).await;
        r.assert_status(200);
        assert_eq!(r.json["service"], service, "{}", r.text);
        assert_eq!(r.json["checks"]["kv"], "ok", "{}", r.text);
    }
}

/// Health needs no credentials, so its probe does not write the store on
/// every check: it writes the time, and writes again only once that is a
/// second old.
#[tokio::test(flavor = "multi_thread")]
async fn checks_in_quick_succession_write_the_probe_key_at_most_once_a_second() {
    let Some(app) = app().spawn_local("reads the app's stores").await else {
        return;
    };
    let probe_written = || {
        app.stored_entries("auth")
            .into_iter()
            .find(|(key, _)| key == "health:probe")
            .and_then(|(_, value)| String::from_utf8(value).ok()?.parse::<i64>().ok())
            .expect("health:probe holds the time it was written, in ms")
    };
    let now_ms = || {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970");
        i64::try_from(since_epoch.as_millis()).expect("in range")
    };
    // On a loaded machine the checks after a write may all come too late
    // to show anything: then the sequence starts again, a few times.
    for _ in 0..3 {
        // A second after any earlier check, so that this one writes.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let sent = now_ms();
        app.get_with("/auth/health", Cred::None)
            .await
            .assert_status(200);
        let first = probe_written();
        assert!(first >= sent, "the check wrote the time");
        let mut checks = 0;
        while now_ms() < first + 500 {
            app.get_with("/auth/health", Cred::None)
                .await
                .assert_status(200);
            checks += 1;
        }
        if checks == 0 {
            continue;
        }
        let last = probe_written();
        assert!(
            last == first || last >= first + 1000,
            "{checks} checks within 500 ms of the write at {first} wrote again at {last}"
        );
        return;
    }
    panic!("no check fitted in the half second after a write, three times");
}
