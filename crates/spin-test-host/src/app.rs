//! A loaded application: its components compiled and pre-instantiated,
//! its router, variables and stores — everything `spin up` prepares before
//! it starts listening, with the same checks.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::{Context as _, bail, ensure};
use tokio::sync::watch;
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::allowed_hosts::{self, AllowedHosts};
use crate::kv::Stores;
use crate::logs::ComponentOutput;
use crate::manifest::Manifest;
use crate::routing::{DuplicateRoute, Router};
use crate::runtime_config::RuntimeConfig;
use crate::state::HostState;
use crate::variables::{Providers, ResolvedVariables};
use crate::{HostConfig, engine, host};

/// What the caller of [`App::load`] wants done with component output.
#[derive(Clone, Debug, Default)]
pub struct OutputOptions {
    /// Keep output in memory (for `RunningApp::stdout`).
    pub keep: bool,
    /// Echo output on the host's own stdout/stderr.
    pub echo: bool,
    /// Also write `<dir>/<id>_stdout.txt` and `<id>_stderr.txt`.
    pub log_dir: Option<PathBuf>,
}

/// One component, ready to serve.
pub struct LoadedComponent {
    pub id: String,
    pub pre: ProxyPre<HostState>,
    pub allowed_stores: HashSet<String>,
    /// The resolved `allowed_outbound_hosts`, or why they are unusable
    /// (then every outbound request is denied, as in Spin).
    pub allowed_hosts: Result<AllowedHosts, String>,
    pub environment: Vec<(String, String)>,
    pub files: Vec<(PathBuf, String)>,
    pub output: ComponentOutput,
}

/// A loaded app.
pub struct App {
    pub name: String,
    pub version: Option<String>,
    pub router: Router,
    pub duplicate_routes: Vec<DuplicateRoute>,
    /// The components being run (all, or the `--component-id` selection).
    pub components: BTreeMap<String, LoadedComponent>,
    pub variables: ResolvedVariables,
    pub stores: Stores,
    /// The address the server listens on (for relative "self" requests).
    pub self_addr: OnceLock<SocketAddr>,
    /// Turns true when the app stops: guests still running are dropped.
    pub stopping: watch::Sender<bool>,
}

impl App {
    /// Loads the app described by `config`.
    pub async fn load(config: &HostConfig, output: &OutputOptions) -> anyhow::Result<Self> {
        let manifest = Manifest::load(&config.manifest)?;
        let runtime = match &config.runtime_config {
            Some(path) => RuntimeConfig::load(path)?,
            None => RuntimeConfig::default(),
        };

        let selected = select_components(&manifest, &config.component_ids)?;

        let providers = Providers {
            static_tables: runtime.static_variables.clone(),
            environment: config.variables.iter().cloned().collect(),
        };
        for (name, _) in &config.variables {
            if !manifest.variables.contains_key(name) {
                eprintln!(
                    "warning: variable {name:?} is not declared in the manifest; ignored (as by Spin)"
                );
            }
        }
        let variables = ResolvedVariables::resolve(
            &manifest.variables,
            selected
                .iter()
                .map(|id| (id.as_str(), &manifest.components[id].variables)),
            &providers,
        )?;

        let stores = Stores::new(
            &runtime.stores(&manifest.dir)?,
            selected.iter().map(|id| {
                (
                    id.as_str(),
                    manifest.components[id].key_value_stores.as_slice(),
                )
            }),
        )?;

        let engine = engine::engine();
        let base_linker = host::linker(engine)?;
        let mut components = BTreeMap::new();
        for id in &selected {
            let c = &manifest.components[id];
            let wasm = engine::load_component(&c.source)
                .await
                .with_context(|| format!("failed to load component `{id}`"))?;
            let mut linker = base_linker.clone();
            host::stub_unprovided_imports(&mut linker, engine, &wasm)?;
            let pre = linker
                .instantiate_pre(&wasm)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("failed to link component `{id}`"))?;
            let pre = ProxyPre::new(pre)
                .map_err(anyhow::Error::from)
                .with_context(|| {
                    format!("component `{id}` does not export wasi:http/incoming-handler@0.2")
                })?;
            let allowed_hosts = AllowedHosts::resolve(&c.allowed_outbound_hosts, &variables)
                .map_err(|e| format!("{e:#}"));
            if let Err(e) = &allowed_hosts {
                eprintln!(
                    "error: component `{id}`: allowed_outbound_hosts cannot be resolved, so every outbound request it makes will be denied: {e}"
                );
            }
            components.insert(
                id.clone(),
                LoadedComponent {
                    id: id.clone(),
                    pre,
                    allowed_stores: c.key_value_stores.iter().cloned().collect(),
                    allowed_hosts,
                    environment: c.environment.clone().into_iter().collect(),
                    files: c.files.clone(),
                    output: ComponentOutput::new(
                        id,
                        output.keep,
                        output.log_dir.as_deref(),
                        output.echo,
                    )?,
                },
            );
        }

        let (router, duplicate_routes) = Router::build(
            manifest
                .triggers
                .iter()
                .filter(|t| selected.contains(&t.component)),
        )?;

        Ok(Self {
            name: manifest.name,
            version: manifest.version,
            router,
            duplicate_routes,
            components,
            variables,
            stores,
            self_addr: OnceLock::new(),
            stopping: watch::Sender::new(false),
        })
    }
}

/// The components to run: all, or the selection, which must exist, be
/// triggered, and not chain (by a literal host) to an unselected component
/// — Spin's checks for `--component-id`.
fn select_components(manifest: &Manifest, ids: &[String]) -> anyhow::Result<Vec<String>> {
    let triggered: Vec<&String> = manifest.triggers.iter().map(|t| &t.component).collect();
    if ids.is_empty() {
        let mut all: Vec<String> = triggered.into_iter().cloned().collect();
        all.sort();
        all.dedup();
        return Ok(all);
    }
    for id in ids {
        ensure!(
            manifest.components.contains_key(id),
            "Specified component \"{id}\" not found in application"
        );
        ensure!(
            triggered.contains(&id),
            "Specified component \"{id}\" has no trigger in application"
        );
    }
    for id in ids {
        for host in &manifest.components[id].allowed_outbound_hosts {
            // Templated entries are not resolved yet at this point in Spin
            // either, so only literal chaining hosts are checked.
            let Ok(uri) = host.parse::<http::Uri>() else {
                continue;
            };
            let Some(target) = uri.host().and_then(allowed_hosts::service_chaining_target) else {
                continue;
            };
            if target == "*" {
                bail!(
                    "Selected component '{id}' cannot use wildcard service chaining: allowed_outbound_hosts = [\"http://*.spin.internal\"]"
                );
            }
            if !ids.iter().any(|s| s == target) {
                bail!(
                    "Selected component '{id}' cannot use service chaining to unselected component: allowed_outbound_hosts = [\"http://{target}.spin.internal\"]"
                );
            }
        }
    }
    let mut selected = ids.to_vec();
    selected.sort();
    selected.dedup();
    Ok(selected)
}
