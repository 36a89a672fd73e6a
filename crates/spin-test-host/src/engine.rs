//! One Wasmtime engine per process, and a process-wide cache of compiled
//! components keyed by file path and modification time, so that restarting
//! an app in the same process (restart tests) does not compile again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use anyhow::Context as _;
use wasmtime::component::Component;
use wasmtime::{Config, Engine};

/// The shared engine.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config.wasm_component_model(true);
        // Epoch checks let the host trap a running guest on request (used
        // when a service-chaining call targets a component that is not in
        // the app, which Spin answers with a trap).
        config.epoch_interruption(true);
        Engine::new(&config).expect("a default Wasmtime configuration is valid")
    })
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    path: PathBuf,
    modified: Option<SystemTime>,
    len: u64,
}

/// Loads (compiling on first use) the component at `path`.
pub async fn load_component(path: &Path) -> anyhow::Result<Component> {
    static CACHE: OnceLock<Mutex<HashMap<CacheKey, Component>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);

    let meta = std::fs::metadata(path)
        .with_context(|| format!("failed to read component source {}", path.display()))?;
    let key = CacheKey {
        path: std::fs::canonicalize(path)?,
        modified: meta.modified().ok(),
        len: meta.len(),
    };
    if let Some(c) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(c.clone());
    }
    let file = key.path.clone();
    // Compilation is CPU-bound and takes seconds: keep it off the runtime.
    let component = tokio::task::spawn_blocking(move || Component::from_file(engine(), &file))
        .await?
        .map_err(anyhow::Error::from)
        .with_context(|| format!("failed to compile component {}", path.display()))?;
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, component.clone());
    Ok(component)
}
