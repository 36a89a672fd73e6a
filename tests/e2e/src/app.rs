use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::PROMPT;
use crate::raw::raw_request;
use crate::redis::{RedisServer, redis_server};
use crate::reply::Reply;
use crate::runtime_config::{StoreLocation, store_location, write_runtime_config};
use crate::spin::{SpinProcess, SpinUp};
use crate::util::{eventually, random_suffix, strong_password, unique_username};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

/// The repository root (where `spin.toml` lives).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// `(base_url, internal_key)` of an already running deployment, when both
/// `E2E_BASE_URL` and `E2E_INTERNAL_KEY` are set.
pub fn external_deployment() -> Option<(String, String)> {
    let base = std::env::var("E2E_BASE_URL")
        .ok()
        .filter(|s| !s.is_empty())?;
    let key = std::env::var("E2E_INTERNAL_KEY")
        .ok()
        .filter(|s| !s.is_empty())?;
    Some((base.trim_end_matches('/').to_string(), key))
}

/// Credentials a request is sent with.
#[derive(Clone, Copy, Debug)]
pub enum Cred<'a> {
    /// No credentials at all.
    None,
    /// The app's own internal key.
    Internal,
    /// Some other `X-Internal-Key` value.
    Key(&'a str),
    /// `Authorization: Bearer <token>`.
    Bearer(&'a str),
}

/// A user created through `POST /auth/register`.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub username: String,
    pub password: String,
    pub user_id: String,
}

/// A temporary directory holding one app's stores and runtime config; shared
/// by the instances that run on the same files (restarts).
pub type StateDir = Arc<tempfile::TempDir>;

/// How an app is started; kept so that it can be restarted the same way.
#[derive(Clone)]
struct Settings {
    /// A registry reference to run instead of the repository's spin.toml.
    from_registry: Option<String>,
    /// Another manifest to run instead of the repository's spin.toml.
    manifest: Option<PathBuf>,
    variables: Vec<(String, String)>,
    env: Vec<(String, String)>,
    components: Vec<String>,
    redis_url: Option<String>,
    /// The Redis server this app started for itself (`E2E_STORE=redis`).
    own_redis: Option<Arc<RedisServer>>,
    internal_key: String,
    state: StateDir,
}

/// Which stores an app gets when a scenario does not choose: SQLite files,
/// or with `E2E_STORE=redis` a Redis server of its own, so that the whole
/// suite also runs on the Redis runtime config.
fn default_store_is_redis() -> bool {
    match std::env::var("E2E_STORE").as_deref() {
        Ok("redis") => true,
        Ok("sqlite") | Ok("") | Err(_) => false,
        Ok(other) => panic!("E2E_STORE={other}: expected sqlite or redis"),
    }
}

/// Start configuring a local app (see [`AppBuilder::spawn_local`]).
pub fn app() -> AppBuilder {
    AppBuilder {
        from_registry: None,
        manifest: None,
        variables: Vec::new(),
        env: Vec::new(),
        components: Vec::new(),
        redis_url: None,
        own_redis: false,
        internal_key: None,
        state: None,
    }
}

/// The app under test: the default local app, or the deployment named by
/// `E2E_BASE_URL` / `E2E_INTERNAL_KEY`.
pub async fn spawn_app() -> TestApp {
    if let Some((base_url, internal_key)) = external_deployment() {
        return TestApp {
            base_url,
            internal_key,
            client: http_client(),
            running: None,
            settings: None,
            nudge_by_traffic: AtomicBool::new(false),
        };
    }
    app().start().await
}

pub struct AppBuilder {
    from_registry: Option<String>,
    manifest: Option<PathBuf>,
    variables: Vec<(String, String)>,
    env: Vec<(String, String)>,
    components: Vec<String>,
    redis_url: Option<String>,
    own_redis: bool,
    internal_key: Option<String>,
    state: Option<StateDir>,
}

impl AppBuilder {
    /// Set a Spin application variable (as `spin up --variable k=v`).
    pub fn variable(mut self, name: &str, value: impl Into<String>) -> Self {
        let value = value.into();
        self.variables.retain(|(k, _)| k != name);
        self.variables.push((name.to_string(), value));
        self
    }

    /// Run the app pushed to this (plain-HTTP) registry reference, as
    /// `spin up --from <reference> --insecure`, instead of spin.toml.
    pub fn from_registry(mut self, reference: impl Into<String>) -> Self {
        self.from_registry = Some(reference.into());
        self
    }

    /// Run this manifest (e.g. a copy of spin.toml with a dependency
    /// replaced) instead of the repository's spin.toml.
    pub fn manifest(mut self, path: impl Into<PathBuf>) -> Self {
        self.manifest = Some(path.into());
        self
    }

    /// Set an environment variable of the `spin up` process (e.g.
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`).
    pub fn env(mut self, name: &str, value: impl Into<String>) -> Self {
        self.env.push((name.to_string(), value.into()));
        self
    }

    /// Run only these components (empty: all).
    pub fn components(mut self, ids: &[&str]) -> Self {
        self.components = ids.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Use the repository's `runtime-config.redis.toml`, pointed at this
    /// Redis server (one database number per store).
    pub fn redis(mut self, url: impl Into<String>) -> Self {
        self.redis_url = Some(url.into());
        self
    }

    /// Use the Redis runtime config on a Redis server of this app's own,
    /// started only when the app is (see [`TestApp::redis`]).
    pub fn own_redis(mut self) -> Self {
        self.own_redis = true;
        self
    }

    pub fn internal_key(mut self, key: impl Into<String>) -> Self {
        self.internal_key = Some(key.into());
        self
    }

    /// Keep the SQLite files (and runtime config) in this directory.
    pub fn state_dir(mut self, dir: StateDir) -> Self {
        self.state = Some(dir);
        self
    }

    /// Start the app locally, unless the suite runs against an external
    /// deployment: then print why this scenario is skipped and return `None`.
    pub async fn spawn_local(self, needs: &str) -> Option<TestApp> {
        if let Some((base, _)) = external_deployment() {
            eprintln!(
                "SKIPPED: this scenario {needs}, which cannot be done to the external deployment at {base}"
            );
            return None;
        }
        Some(self.start().await)
    }

    async fn start(self) -> TestApp {
        let state = match self.state {
            Some(s) => s,
            None => Arc::new(
                tempfile::Builder::new()
                    .prefix("e2e-app-")
                    .tempdir()
                    .expect("temp dir"),
            ),
        };
        let own_redis = (self.own_redis || (self.redis_url.is_none() && default_store_is_redis()))
            .then(|| Arc::new(redis_server()));
        let settings = Settings {
            from_registry: self.from_registry,
            manifest: self.manifest,
            variables: self.variables,
            env: self.env,
            components: self.components,
            redis_url: self
                .redis_url
                .filter(|_| own_redis.is_none())
                .or_else(|| own_redis.as_ref().map(|redis| redis.url())),
            own_redis,
            internal_key: self
                .internal_key
                .unwrap_or_else(|| format!("ik-{}{}", random_suffix(), random_suffix())),
            state,
        };
        start_with(settings).await
    }
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        // Nothing in the contract may take this long; it only stops a hung
        // request from hanging the suite.
        .timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(64)
        .build()
        .expect("http client")
}

async fn start_with(settings: Settings) -> TestApp {
    let root = repo_root();
    for id in ["auth", "analytics", "notification", "channels", "docs"] {
        let runs_here =
            settings.components.is_empty() || settings.components.iter().any(|c| c == id);
        if !runs_here || settings.from_registry.is_some() {
            continue;
        }
        let mut built = vec![root.join(format!("target/wasm32-wasip2/release/{id}.wasm"))];
        if id == "auth" {
            // Mounted into auth (spin.toml `files`); auth's build writes it.
            built.push(root.join("target/wasm32-wasip2/release/common-passwords.bin"));
        }
        for file in built {
            assert!(
                file.exists(),
                "{} is missing: build the components first with `spin build` (or ./scripts/test.sh)",
                file.display()
            );
        }
    }
    let runtime_config = write_runtime_config(settings.state.path(), settings.redis_url.as_deref());
    let mut variables = vec![(
        "internal_api_key".to_string(),
        settings.internal_key.clone(),
    )];
    variables.extend(settings.variables.iter().cloned());
    let (from, extra_args) = match &settings.from_registry {
        Some(reference) => (reference.clone(), vec!["--insecure".to_string()]),
        None => (
            settings
                .manifest
                .clone()
                .unwrap_or_else(|| root.join("spin.toml"))
                .to_string_lossy()
                .into_owned(),
            Vec::new(),
        ),
    };
    let running = SpinUp {
        from,
        runtime_config: Some(runtime_config),
        variables,
        components: settings.components.clone(),
        env: settings.env.clone(),
        extra_args,
        dir: settings.state.path().to_path_buf(),
    }
    .start()
    .await;
    TestApp {
        base_url: running.base_url(),
        internal_key: settings.internal_key.clone(),
        client: http_client(),
        running: Some(running),
        settings: Some(settings),
        nudge_by_traffic: AtomicBool::new(false),
    }
}

/// One app under test and a client for it.
pub struct TestApp {
    pub base_url: String,
    pub internal_key: String,
    pub client: reqwest::Client,
    running: Option<SpinProcess>,
    settings: Option<Settings>,
    nudge_by_traffic: AtomicBool,
}

impl TestApp {
    /// Whether this app runs here, under `spin up` (not an external
    /// deployment).
    pub fn is_local(&self) -> bool {
        self.running.is_some()
    }

    /// The directory holding this app's stores (local apps only).
    pub fn state_dir(&self) -> StateDir {
        self.settings
            .as_ref()
            .expect("state_dir of an external deployment")
            .state
            .clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.running.as_ref().expect("addr of a local app").addr()
    }

    /// What a component wrote to standard output (local apps only).
    pub fn stdout(&self, component: &str) -> String {
        self.running
            .as_ref()
            .expect("stdout of a local app")
            .stdout(component)
    }

    /// What a component wrote to standard error (local apps only).
    pub fn stderr(&self, component: &str) -> String {
        self.running
            .as_ref()
            .expect("stderr of a local app")
            .stderr(component)
    }

    /// Everything every component wrote (local apps only). Never empty:
    /// every request leaves an access line, so an empty result means the
    /// log files were not found, and a check that a secret is absent from
    /// them would prove nothing.
    pub fn all_output(&self) -> String {
        let mut all = String::new();
        for id in ["auth", "analytics", "notification", "channels", "docs"] {
            all.push_str(&self.stdout(id));
            all.push_str(&self.stderr(id));
        }
        assert!(
            all.contains("\"request_id\""),
            "no access line in the components' log files: are they where the tests look?"
        );
        all
    }

    pub async fn shutdown(mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
    }

    /// Stop the app and start it again on the same files and settings.
    pub async fn restart(self) -> TestApp {
        self.restart_with(Vec::new()).await
    }

    /// Stop the app and start it again on the same files, with these
    /// variables changed.
    pub async fn restart_with(mut self, variables: Vec<(&str, String)>) -> TestApp {
        let mut settings = self.settings.take().expect("restart of a local app");
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
        for (name, value) in variables {
            settings.variables.retain(|(k, _)| k != name);
            settings.variables.push((name.to_string(), value));
        }
        start_with(settings).await
    }

    /// The Redis server this app started for itself (see
    /// [`AppBuilder::own_redis`]).
    pub fn redis(&self) -> &RedisServer {
        self.settings
            .as_ref()
            .and_then(|s| s.own_redis.as_deref())
            .expect("an app on a Redis server of its own")
    }

    /// The database of that server holding the store `label`, as the
    /// app's runtime config says.
    pub fn redis_database(&self, label: &str) -> u32 {
        match self.store_location(label) {
            StoreLocation::RedisDatabase(db) => db,
            StoreLocation::File(path) => panic!("store {label} is a file: {}", path.display()),
        }
    }

    fn store_location(&self, label: &str) -> StoreLocation {
        let settings = self.settings.as_ref().expect("stores of a local app");
        store_location(settings.state.path(), settings.redis_url.as_deref(), label)
    }

    /// The SQLite file of the store `label` (local apps only); `None` when
    /// that store is on Redis.
    pub fn sqlite_store_file(&self, label: &str) -> Option<PathBuf> {
        match self.store_location(label) {
            StoreLocation::File(path) => Some(path),
            StoreLocation::RedisDatabase(_) => None,
        }
    }

    /// Every `(key, value)` of the store `label` (local apps only), read
    /// from its SQLite file or from the Redis server the app started. None
    /// when the SQLite file does not exist: Spin creates it when a
    /// component first opens the store.
    pub fn stored_entries(&self, label: &str) -> Vec<(String, Vec<u8>)> {
        let path = match self.store_location(label) {
            StoreLocation::File(path) => path,
            StoreLocation::RedisDatabase(db) => return self.redis().entries(db),
        };
        if !path.exists() {
            return Vec::new();
        }
        let db = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        let mut stmt = db
            .prepare("SELECT key, value FROM spin_key_value")
            .expect("the key-value table");
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .expect("query")
            .map(|r| r.expect("row"))
            .collect()
    }

    // ------------------------------------------------------------ requests

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    /// Add credentials to a request.
    pub fn with(&self, req: RequestBuilder, cred: Cred<'_>) -> RequestBuilder {
        match self.credential_header(cred) {
            Some((name, value)) => req.header(name, value),
            None => req,
        }
    }

    fn credential_header(&self, cred: Cred<'_>) -> Option<(&'static str, String)> {
        match cred {
            Cred::None => None,
            Cred::Internal => Some(("X-Internal-Key", self.internal_key.clone())),
            Cred::Key(k) => Some(("X-Internal-Key", k.to_owned())),
            Cred::Bearer(t) => Some(("Authorization", format!("Bearer {t}"))),
        }
    }

    /// Sends `method path` with `cred` and `headers`, then `body` (already
    /// framed as the headers say), over a raw connection: for bodies the app
    /// may refuse before taking them, whose answer a client library can lose
    /// (see [`raw_request`]). Local apps only.
    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        cred: Cred<'_>,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Reply {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: e2e\r\n");
        let credential = self.credential_header(cred);
        let credential = credential
            .as_ref()
            .map(|(name, value)| (*name, value.as_str()));
        for (name, value) in headers.iter().copied().chain(credential) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let addr = self.addr();
        tokio::task::spawn_blocking(move || raw_request(addr, &head, &body, PROMPT))
            .await
            .expect("the raw exchange")
            .into_reply()
    }

    pub async fn send(&self, req: RequestBuilder) -> Reply {
        Reply::send(req).await
    }

    pub async fn post_json(&self, path: &str, body: &Value, cred: Cred<'_>) -> Reply {
        self.send(self.with(self.post(path).json(body), cred)).await
    }

    pub async fn get_with(&self, path: &str, cred: Cred<'_>) -> Reply {
        self.send(self.with(self.get(path), cred)).await
    }

    // ------------------------------------------------------------ auth

    pub async fn register(&self, username: &str, password: &str) -> Reply {
        self.post_json(
            "/auth/register",
            &json!({"username": username, "password": password}),
            Cred::None,
        )
        .await
    }

    /// Register a new user with a unique name; asserts `201`.
    pub async fn register_user(&self) -> TestUser {
        let username = unique_username("u");
        let password = strong_password();
        let reply = self.register(&username, &password).await;
        reply.assert_status(201);
        TestUser {
            user_id: reply.str_field("user_id"),
            username,
            password,
        }
    }

    pub async fn login(&self, username: &str, password: &str) -> Reply {
        self.post_json(
            "/auth/login",
            &json!({"username": username, "password": password}),
            Cred::None,
        )
        .await
    }

    /// Log the user in; asserts `200` and returns the token.
    pub async fn login_token(&self, user: &TestUser) -> String {
        let reply = self.login(&user.username, &user.password).await;
        reply.assert_status(200);
        reply.str_field("token")
    }

    pub async fn logout(&self, token: &str) -> Reply {
        self.send(self.post("/auth/logout").bearer_auth(token))
            .await
    }

    pub async fn me(&self, token: &str) -> Reply {
        self.get_with("/auth/me", Cred::Bearer(token)).await
    }

    // ------------------------------------------------------------ analytics

    /// `POST /analytics/events` with the internal key.
    pub async fn post_event(&self, body: &Value) -> Reply {
        self.post_event_as(body, Cred::Internal).await
    }

    /// `POST /analytics/events` with `cred`.
    pub async fn post_event_as(&self, body: &Value, cred: Cred<'_>) -> Reply {
        self.post_json("/analytics/events", body, cred).await
    }

    /// `GET /analytics/metrics/actions`; asserts `200`.
    pub async fn metrics_actions(&self) -> Value {
        let reply = self
            .get_with("/analytics/metrics/actions", Cred::None)
            .await;
        reply.assert_status(200);
        reply.json
    }

    pub async fn user_metrics_as(&self, user_id: &str, cred: Cred<'_>) -> Reply {
        self.get_with(&format!("/analytics/metrics/user/{user_id}/actions"), cred)
            .await
    }

    /// A user's metrics with the internal key; asserts `200`.
    pub async fn user_metrics(&self, user_id: &str) -> Value {
        let reply = self.user_metrics_as(user_id, Cred::Internal).await;
        reply.assert_status(200);
        reply.json
    }

    /// Wait until the user's counts are exactly `expected` (every other
    /// action zero), nudging the auth service to deliver pending events.
    pub async fn wait_for_user_actions(
        &self,
        user_id: &str,
        expected: &[(&str, u64)],
        timeout: Duration,
    ) -> Value {
        let want_total: u64 = expected.iter().map(|(_, n)| n).sum();
        eventually(
            &format!("analytics counts {expected:?} for user {user_id}"),
            timeout,
            || async {
                self.nudge_delivery().await;
                let m = self.user_metrics(user_id).await;
                let got = actions_of(&m);
                let nonzero: Vec<_> = got.iter().filter(|(_, n)| *n > 0).cloned().collect();
                let mut want: Vec<(String, u64)> = expected
                    .iter()
                    .filter(|(_, n)| *n > 0)
                    .map(|(a, n)| (a.to_string(), *n))
                    .collect();
                want.sort();
                if nonzero == want && m["total"].as_u64() == Some(want_total) {
                    Ok(m)
                } else {
                    Err(format!("got {m}"))
                }
            },
        )
        .await
    }

    /// From now on, [`TestApp::nudge_delivery`] sends ordinary auth traffic
    /// instead of calling the flush endpoint.
    pub fn nudge_with_auth_requests(&self) {
        self.nudge_by_traffic.store(true, Ordering::Relaxed);
    }

    /// Ask the auth service to deliver the events and notifications it kept
    /// for later: `POST /auth/outbox/flush` (the operators' endpoint), or
    /// after [`TestApp::nudge_with_auth_requests`] a throw-away registration
    /// (auth requests deliver pending entries too).
    pub async fn nudge_delivery(&self) {
        if self.nudge_by_traffic.load(Ordering::Relaxed) {
            let _ = self
                .register(&unique_username("nudge"), &strong_password())
                .await;
            return;
        }
        let _ = self
            .with(self.post("/auth/outbox/flush"), Cred::Internal)
            .send()
            .await;
    }

    // ------------------------------------------------------------ notification

    pub async fn notify(&self, body: &Value) -> Reply {
        self.post_json("/notification/notify", body, Cred::Internal)
            .await
    }

    pub async fn notify_with_key(&self, idempotency_key: &str, body: &Value) -> Reply {
        self.send(
            self.with(self.post("/notification/notify"), Cred::Internal)
                .header("Idempotency-Key", idempotency_key)
                .json(body),
        )
        .await
    }

    pub async fn notification(&self, id: &str, cred: Cred<'_>) -> Reply {
        self.get_with(&format!("/notification/notifications/{id}"), cred)
            .await
    }

    /// Wait until the user has exactly `n` notifications (newest first),
    /// nudging the auth service to deliver pending ones.
    pub async fn wait_for_notifications(
        &self,
        user_id: &str,
        n: usize,
        timeout: Duration,
    ) -> Vec<Value> {
        eventually(
            &format!("{n} notifications for user {user_id}"),
            timeout,
            || async {
                self.nudge_delivery().await;
                let r = self
                    .notifications(user_id, Cred::Internal, "?limit=100")
                    .await;
                let items = r.json["notifications"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                if r.status == 200 && items.len() == n {
                    Ok(items)
                } else {
                    Err(format!("{} {}", r.status, r.text))
                }
            },
        )
        .await
    }

    pub async fn notifications(&self, user_id: &str, cred: Cred<'_>, query: &str) -> Reply {
        self.get_with(
            &format!("/notification/users/{user_id}/notifications{query}"),
            cred,
        )
        .await
    }
}

/// The non-zero `actions` of a metrics body, sorted.
pub fn actions_of(metrics: &Value) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = metrics["actions"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(u64::MAX)))
                .filter(|(_, n)| *n > 0)
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}
