//! The imports a Spin component gets, wired into a Wasmtime linker.
//!
//! WASI 0.2 (`wasi:cli`, `clocks`, `random`, `io`, `filesystem`, `sockets`)
//! comes from `wasmtime-wasi` and `wasi:http` from `wasmtime-wasi-http`. The
//! Spin interfaces the project uses are implemented here by hand, with
//! types derived from their WIT (`#[derive(ComponentType, Lift, Lower)]`)
//! rather than `bindgen!`: that needs no copy of third-party WIT and no
//! build-time search of cargo's registry, so it builds anywhere, and
//! Wasmtime still type-checks every function against the component's own
//! import types when the component is pre-instantiated.
//!
//! Anything else a component imports (spin-sdk's world also covers SQLite,
//! Postgres, MySQL, Redis, MQTT, LLM, `wasi:config`) is linked to a function
//! that traps with a message naming it.

mod spin_kv;
mod variables;
mod wasi_kv;

use wasmtime::Engine;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker, ResourceType};

use crate::state::HostState;

/// A linker with everything this host implements.
pub fn linker(engine: &Engine) -> anyhow::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    variables::add_to_linker(&mut linker)?;
    spin_kv::add_to_linker(&mut linker)?;
    wasi_kv::add_to_linker(&mut linker)?;
    Ok(linker)
}

/// Interfaces provided above, by name without version, with the version
/// prefix they are provided for. WASI versions are matched by semver, so
/// any `0.2.x` import resolves.
const PROVIDED: &[(&str, &str)] = &[
    ("wasi:cli/", "0.2."),
    ("wasi:clocks/", "0.2."),
    ("wasi:io/", "0.2."),
    ("wasi:random/", "0.2."),
    ("wasi:filesystem/", "0.2."),
    ("wasi:sockets/", "0.2."),
    ("wasi:http/types", "0.2."),
    ("wasi:http/outgoing-handler", "0.2."),
    ("fermyon:spin/variables", "2.0.0"),
    ("fermyon:spin/key-value", "2.0.0"),
    ("wasi:keyvalue/store", "0.2.0-draft2"),
    ("wasi:keyvalue/atomics", "0.2.0-draft2"),
    ("wasi:keyvalue/batch", "0.2.0-draft2"),
];

fn is_provided(import: &str) -> bool {
    let (name, version) = import.split_once('@').unwrap_or((import, ""));
    PROVIDED.iter().any(|(prefix, v)| {
        name.starts_with(prefix) && version.starts_with(v) && !version.contains("-rc")
    })
}

/// Links every import of `component` that this host does not provide to a
/// trapping stub, so the component loads and fails only if it calls one.
pub fn stub_unprovided_imports(
    linker: &mut Linker<HostState>,
    engine: &Engine,
    component: &Component,
) -> anyhow::Result<()> {
    let ty = component.component_type();
    for (name, import) in ty.imports(engine) {
        if is_provided(name) {
            continue;
        }
        let ComponentItem::ComponentInstance(instance) = import.ty else {
            anyhow::bail!("component imports `{name}`, which spin-test-host cannot provide");
        };
        let mut stub = linker.instance(name)?;
        for (item, export) in instance.exports(engine) {
            match export.ty {
                ComponentItem::ComponentFunc(_) => {
                    let what = format!("{name}#{item}");
                    stub.func_new(item, move |_, _, _, _| {
                        wasmtime::bail!(
                            "`{what}` is not implemented by spin-test-host (Spin provides it; \
                             this project's components are not expected to call it)"
                        )
                    })?;
                }
                ComponentItem::Resource(_) => {
                    stub.resource(item, ResourceType::host::<()>(), |_, _| Ok(()))?;
                }
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::is_provided;

    #[test]
    fn provided_interfaces() {
        assert!(is_provided("wasi:cli/environment@0.2.6"));
        assert!(is_provided("wasi:http/outgoing-handler@0.2.0"));
        assert!(is_provided("fermyon:spin/key-value@2.0.0"));
        assert!(is_provided("wasi:keyvalue/atomics@0.2.0-draft2"));
        assert!(!is_provided("fermyon:spin/sqlite@2.0.0"));
        assert!(!is_provided("wasi:http/handler@0.3.0-rc-2026-01-06"));
        assert!(!is_provided("wasi:cli/environment@0.2.0-rc-2023-11-10"));
        assert!(!is_provided("wasi:config/store@0.2.0-draft-2024-09-27"));
    }
}
