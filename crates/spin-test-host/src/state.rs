//! The per-request data of a component instance (the `T` of its
//! `wasmtime::Store<T>`). A fresh one is made for every request, as Spin
//! makes a fresh instance for every request.

use std::sync::{Arc, Mutex};

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::app::{App, LoadedComponent};
use crate::outbound::OutboundHooks;

/// A trap requested from outside guest code (a service-chaining request to
/// a component that is not part of the app traps the caller, as in Spin).
pub type PendingTrap = Arc<Mutex<Option<String>>>;

pub struct HostState {
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub table: ResourceTable,
    pub hooks: OutboundHooks,
    pub app: Arc<App>,
    pub component_id: String,
    pub pending_trap: PendingTrap,
}

impl HostState {
    /// State for one request to `component`.
    pub fn new(app: Arc<App>, component: &LoadedComponent) -> anyhow::Result<Self> {
        let mut wasi = WasiCtxBuilder::new();
        wasi.stdout(component.output.stdout.clone())
            .stderr(component.output.stderr.clone())
            .envs(&component.environment);
        for (host, guest) in &component.files {
            wasi.preopened_dir(host, guest, wasmtime_wasi::FsPerms::ReadOnly)?;
        }
        // Spin lets components open sockets only to `allowed_outbound_hosts`
        // entries; nothing here uses sockets, so none are allowed.
        wasi.socket_addr_check(|_, _| Box::pin(async { false }));
        let pending_trap = PendingTrap::default();
        Ok(Self {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: OutboundHooks::new(app.clone(), component.id.clone(), pending_trap.clone()),
            component_id: component.id.clone(),
            app,
            pending_trap,
        })
    }

    /// The component this instance runs.
    pub fn component(&self) -> &LoadedComponent {
        &self.app.components[&self.component_id]
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}
