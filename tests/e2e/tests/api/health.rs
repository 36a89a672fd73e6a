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
