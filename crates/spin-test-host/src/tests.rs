//! Start, serve and shut down a whole app.

use std::collections::HashSet;
use std::io::{Read as _, Write as _};
use std::path::Path;

use super::*;

/// One HTTP/1.1 request over a fresh connection: `(status, body)`.
async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let path = path.to_string();
    tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let status = text[9..12].parse().unwrap();
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    })
    .await
    .unwrap()
}

fn write_app(dir: &Path, manifest_extra: &str) -> HostConfig {
    std::fs::write(
        dir.join("spin.toml"),
        format!(
            "spin_manifest_version = 2\n[application]\nname = \"empty\"\nversion = \"9.9.9\"\n{manifest_extra}"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("rc.toml"),
        "[key_value_store.data]\ntype = \"spin\"\npath = \"stores/data.db\"\n",
    )
    .unwrap();
    HostConfig {
        manifest: dir.join("spin.toml"),
        runtime_config: Some(dir.join("rc.toml")),
        listen: "127.0.0.1:0".parse().unwrap(),
        variables: vec![],
        component_ids: vec![],
        log_dir: None,
    }
}

#[test]
fn handles_can_be_shared_across_tasks() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<RunningApp>();
    send_sync::<HostConfig>();
    send_sync::<testing::RedisServer>();
}

#[tokio::test]
async fn serves_reserved_paths_and_404s() {
    let dir = tempfile::tempdir().unwrap();
    let app = start(write_app(dir.path(), "")).await.unwrap();
    assert_ne!(app.addr().port(), 0);
    assert_eq!(app.base_url(), format!("http://{}", app.addr()));
    assert_eq!(
        get(app.addr(), "/.well-known/spin/health").await,
        (200, "OK".into())
    );
    let (status, info) = get(app.addr(), "/.well-known/spin/info").await;
    assert_eq!(status, 200);
    assert!(
        info.contains("\"name\": \"empty\"") && info.contains("9.9.9"),
        "{info}"
    );
    assert_eq!(get(app.addr(), "/.well-known/spin/other").await.0, 404);
    assert_eq!(get(app.addr(), "/anything").await, (404, String::new()));
    assert_eq!(app.stdout("nope"), "");
    app.shutdown().await;
}

#[tokio::test]
async fn start_fails_like_spin_up() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_app(dir.path(), "[variables]\nkey = { required = true }\n");
    let err = start(config.clone()).await.err().unwrap();
    assert!(
        format!("{err:#}").contains("no provider resolved required variable"),
        "{err:#}"
    );

    let mut with_value = config;
    with_value.variables.push(("key".into(), "v".into()));
    start(with_value).await.unwrap().shutdown().await;
}

#[tokio::test]
async fn shutdown_releases_stores_for_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_app(dir.path(), "");
    let allowed: HashSet<String> = ["data".to_string()].into();

    let first = start(config.clone()).await.unwrap();
    let store = first.app.stores.open("data", &allowed).await.ok().unwrap();
    store.set("k", b"persisted").await.ok().unwrap();
    first.shutdown().await;
    // A handle kept past shutdown no longer reaches the file.
    assert!(store.get("k").await.is_err());
    assert!(dir.path().join("stores/data.db").exists());

    let second = start(config).await.unwrap();
    let store = second.app.stores.open("data", &allowed).await.ok().unwrap();
    assert_eq!(
        store.get("k").await.ok().unwrap().as_deref(),
        Some(&b"persisted"[..])
    );
    second.shutdown().await;
}

/// With a real Spin HTTP component (any that answers 200 on `/`), checks a
/// request end to end across a restart. Run with
/// `SPIN_TEST_HOST_COMPONENT=path/to.wasm cargo test -- --ignored`.
#[tokio::test]
#[ignore = "needs SPIN_TEST_HOST_COMPONENT pointing at a component"]
async fn serves_a_real_component_across_restarts() {
    let wasm = std::env::var("SPIN_TEST_HOST_COMPONENT").expect("SPIN_TEST_HOST_COMPONENT");
    let dir = tempfile::tempdir().unwrap();
    let extra = format!(
        "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"c\"\n[component.c]\nsource = {wasm:?}\nkey_value_stores = [\"data\"]\n"
    );
    let config = write_app(dir.path(), &extra);
    for _ in 0..2 {
        let app = start(config.clone()).await.unwrap();
        let (status, _) = get(app.addr(), "/").await;
        assert!(status < 500, "{status}");
        app.shutdown().await;
    }
}
