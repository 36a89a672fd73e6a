//! The whole application, run by real `spin up` from the repository's
//! spin.toml with fresh stores in a temporary directory.

use e2e::{SpinProcess, SpinUp};
use std::path::PathBuf;
use tempfile::TempDir;

pub const COMPONENTS: [&str; 4] = ["auth", "analytics", "notification", "docs"];

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root")
}

pub struct App {
    running: Option<SpinProcess>,
    pub internal_key: String,
    _state: TempDir,
}

impl App {
    /// Starts every component. `DOCS_BROWSER_MANIFEST` names another
    /// manifest to run instead of the repository's spin.toml.
    pub async fn start() -> Self {
        let root = repo_root();
        for id in COMPONENTS {
            let wasm = root.join(format!("target/wasm32-wasip2/release/{id}.wasm"));
            assert!(
                wasm.exists(),
                "{} is missing: build the components first with \
                 `cargo build --target wasm32-wasip2 --release -p auth -p analytics -p notification -p docs`",
                wasm.display()
            );
        }
        let state = tempfile::tempdir().expect("a temporary directory");
        // Fresh SQLite stores in the temporary directory.
        let runtime_config = e2e::write_runtime_config(state.path(), None);
        let manifest = std::env::var_os("DOCS_BROWSER_MANIFEST")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("spin.toml"));
        let internal_key = format!("docs-browser-{}", std::process::id());
        let running = SpinUp {
            from: manifest.to_string_lossy().into_owned(),
            runtime_config: Some(runtime_config),
            variables: vec![("internal_api_key".into(), internal_key.clone())],
            dir: state.path().to_path_buf(),
            ..SpinUp::default()
        }
        .start()
        .await;
        Self {
            running: Some(running),
            internal_key,
            _state: state,
        }
    }

    fn running(&self) -> &SpinProcess {
        self.running.as_ref().expect("the app is running")
    }

    pub fn base_url(&self) -> String {
        self.running().base_url()
    }

    /// The component's log lines (its stderr) that are JSON objects.
    pub fn log_lines(&self, component: &str) -> Vec<serde_json::Value> {
        e2e::json_lines(&self.running().stderr(component)).collect()
    }

    pub async fn shutdown(mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
    }
}
