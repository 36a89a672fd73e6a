//! A Spin-compatible HTTP host for this project's tests and local runs.
//!
//! It loads a `spin.toml` (manifest version 2) and a Spin runtime-config
//! file, compiles the components with Wasmtime, and serves them on a
//! loopback port the way `spin up` does: the same routing, request headers,
//! variables, key-value semantics (SQLite and Redis), outbound-host checks,
//! service chaining and output capture. See the crate README for what is
//! and is not reproduced.
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! use spin_test_host::HostConfig;
//!
//! let app = spin_test_host::start(HostConfig {
//!     manifest: "spin.toml".into(),
//!     runtime_config: Some("runtime-config.toml".into()),
//!     listen: "127.0.0.1:0".parse()?,
//!     variables: vec![("internal_api_key".into(), "secret".into())],
//!     component_ids: vec![],
//!     log_dir: None,
//! })
//! .await?;
//! let health = format!("{}/auth/health", app.base_url());
//! // ... send requests, then:
//! println!("{}", app.stdout("auth"));
//! app.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod allowed_hosts;
mod app;
#[doc(hidden)]
pub mod cli;
mod engine;
mod executor;
mod headers;
mod host;
mod kv;
mod logs;
mod manifest;
mod outbound;
mod routing;
mod runtime_config;
mod server;
mod state;
pub mod testing;
mod variables;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::{App, OutputOptions};

/// What to run and how; the equivalent of `spin up`'s arguments.
#[derive(Clone, Debug)]
pub struct HostConfig {
    /// The `spin.toml` to load (`spin up --from`). Component sources and
    /// the default store's state directory (`.spin/`) resolve against its
    /// directory.
    pub manifest: PathBuf,
    /// The runtime-config file (`--runtime-config-file`). Relative SQLite
    /// store paths in it resolve against its directory, as in Spin.
    pub runtime_config: Option<PathBuf>,
    /// Where to listen; port 0 picks a free port (see [`RunningApp::addr`]).
    pub listen: SocketAddr,
    /// Application variable values (`--variable name=value`). The library
    /// does not read `SPIN_VARIABLE_*` from the process environment, so a
    /// test sees only what it passes; the CLI does read them.
    pub variables: Vec<(String, String)>,
    /// Run only these components (`--component-id`); empty runs all.
    pub component_ids: Vec<String>,
    /// Also write each component's output to `<log_dir>/<id>_stdout.txt`
    /// and `<id>_stderr.txt`.
    pub log_dir: Option<PathBuf>,
}

/// A running app. Dropping it stops the server too, but only
/// [`RunningApp::shutdown`] waits until it has stopped.
pub struct RunningApp {
    addr: SocketAddr,
    app: Arc<App>,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<()>,
}

/// Loads the app, binds the listener and starts serving. Fails, as
/// `spin up` does, on an invalid manifest or runtime config, a required
/// variable without a value, an undeclared store label, or a component that
/// does not load.
pub async fn start(config: HostConfig) -> anyhow::Result<RunningApp> {
    let output = OutputOptions {
        keep: true,
        echo: false,
        log_dir: config.log_dir.clone(),
    };
    start_with_output(config, output).await
}

pub(crate) async fn start_with_output(
    config: HostConfig,
    output: OutputOptions,
) -> anyhow::Result<RunningApp> {
    let app = App::load(&config, &output).await?;
    for dup in &app.duplicate_routes {
        eprintln!(
            "warning: route {} of component `{}` is a duplicate of `{}`'s and will never be used",
            dup.route, dup.replaced_id, dup.effective_id
        );
    }
    let listener = server::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let _ = app.self_addr.set(addr);
    let app = Arc::new(app);
    let (shutdown, rx) = watch::channel(false);
    let server = tokio::spawn(server::serve(app.clone(), listener, rx));
    Ok(RunningApp {
        addr,
        app,
        shutdown,
        server,
    })
}

impl RunningApp {
    /// The address the app listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Everything component `component_id` has written to standard output
    /// so far (empty for an unknown id).
    pub fn stdout(&self, component_id: &str) -> String {
        self.app
            .components
            .get(component_id)
            .map(|c| c.output.stdout.contents())
            .unwrap_or_default()
    }

    /// Everything component `component_id` has written to standard error.
    pub fn stderr(&self, component_id: &str) -> String {
        self.app
            .components
            .get(component_id)
            .map(|c| c.output.stderr.contents())
            .unwrap_or_default()
    }

    /// The routes, as `(component id, printable route)`, in routing order.
    pub fn routes(&self) -> Vec<(String, String)> {
        self.app
            .router
            .routes()
            .map(|(route, id)| (id.to_string(), route.to_string()))
            .collect()
    }

    /// Stops accepting connections, lets requests in flight finish (up to
    /// 10 s), and closes every store, so the SQLite files can be opened by
    /// a new instance.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        let _ = (&mut self.server).await;
        self.app.stopping.send_replace(true);
        self.app.stores.close();
    }
}

impl Drop for RunningApp {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        self.app.stopping.send_replace(true);
        self.app.stores.close();
    }
}

#[cfg(test)]
mod tests;
