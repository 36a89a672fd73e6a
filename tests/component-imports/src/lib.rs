//! Which imports a built component has, and which of them no host of ours
//! provides. The hosts: Spin 3.6+ and 4.x, whose guest world is the one
//! spin-sdk 5.2 binds (`spin:up/platform@3.6.0`, read from the spin-sdk
//! sources cargo already has), and the provider components that satisfy
//! the interfaces of the project's own `wit/` as Spin component
//! dependencies. Unstable parts of Spin's world (the WASIp3 release
//! candidates that only Spin 4.0 serves) are not counted as provided.
//! Also how much heap a component's instance starts with, and whether its
//! code still calls WASI preview 1.

use std::path::{Path, PathBuf};

/// The top-level import names of the component in `bytes`.
pub fn component_imports(bytes: &[u8]) -> Result<Vec<String>, String> {
    let mut imports = Vec::new();
    // Nested modules and components have their own import sections: only
    // the outermost one is what the host must supply.
    let mut depth = 0usize;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        match payload.map_err(|e| e.to_string())? {
            wasmparser::Payload::Version { encoding, .. }
                if depth == 0 && encoding != wasmparser::Encoding::Component =>
            {
                return Err("not a component (a core module)".to_owned());
            }
            wasmparser::Payload::ModuleSection { .. }
            | wasmparser::Payload::ComponentSection { .. } => depth += 1,
            wasmparser::Payload::End(_) => depth = depth.saturating_sub(1),
            wasmparser::Payload::ComponentImportSection(section) if depth == 0 => {
                for import in section {
                    imports.push(import.map_err(|e| e.to_string())?.name.0.to_owned());
                }
            }
            _ => {}
        }
    }
    Ok(imports)
}

/// The WASI preview 1 functions the core modules in `bytes` import. Any
/// such import makes `wit-component` embed the preview 1 adapter, one more
/// core instance (and its state) for Spin to set up on every request.
pub fn preview1_imports(bytes: &[u8]) -> Result<Vec<String>, String> {
    let mut imports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        if let wasmparser::Payload::ImportSection(section) = payload.map_err(|e| e.to_string())? {
            for import in section.into_imports() {
                let import = import.map_err(|e| e.to_string())?;
                if import.module == "wasi_snapshot_preview1" {
                    imports.push(import.name.to_owned());
                }
            }
        }
    }
    Ok(imports)
}

/// Bytes of linear memory a component's instance starts with beyond the
/// end of its data (the stack lies below the data): the heap a request can
/// use before it grows the memory, which Spin undoes after every request at
/// the price of two `mprotect`s and a TLB flush. Read from the core module
/// that defines the memory; the others (shims) define none.
pub fn initial_heap_room(bytes: &[u8]) -> Result<u64, String> {
    let mut initial_bytes = 0u64;
    let mut data_end = 0u64;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        match payload.map_err(|e| e.to_string())? {
            wasmparser::Payload::MemorySection(section) => {
                for memory in section {
                    let memory = memory.map_err(|e| e.to_string())?;
                    initial_bytes = initial_bytes.max(memory.initial * 65536);
                }
            }
            wasmparser::Payload::DataSection(section) => {
                for data in section {
                    let data = data.map_err(|e| e.to_string())?;
                    if let wasmparser::DataKind::Active { offset_expr, .. } = data.kind {
                        let start = match offset_expr.get_operators_reader().read() {
                            Ok(wasmparser::Operator::I32Const { value }) => u64::from(value as u32),
                            other => return Err(format!("data offset not a constant: {other:?}")),
                        };
                        data_end = data_end.max(start + data.data.len() as u64);
                    }
                }
            }
            _ => {}
        }
    }
    if initial_bytes == 0 {
        return Err("no core module defines a memory".to_owned());
    }
    Ok(initial_bytes.saturating_sub(data_end))
}

/// The interfaces of the stable parts of `world` in the WIT at `dir`.
pub fn world_imports(dir: &Path, world: &str) -> Result<Vec<String>, String> {
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve
        .push_dir(dir)
        .map_err(|e| format!("{}: {e:#}", dir.display()))?;
    let world = resolve
        .select_world(&[package], Some(world))
        .map_err(|e| e.to_string())?;
    Ok(resolve.worlds[world]
        .imports
        .keys()
        .map(|key| resolve.name_world_key(key))
        .collect())
}

/// Every interface the WIT at `dir` defines (all its packages).
pub fn defined_interfaces(dir: &Path) -> Result<Vec<String>, String> {
    let mut resolve = wit_parser::Resolve::default();
    resolve
        .push_dir(dir)
        .map_err(|e| format!("{}: {e:#}", dir.display()))?;
    Ok(resolve
        .interfaces
        .iter()
        .filter_map(|(id, _)| resolve.id_of(id))
        .collect())
}

/// `ns:pkg/iface@1.2.3` → (`ns:pkg/iface`, `1.2.3`).
fn split(name: &str) -> (&str, Option<&str>) {
    match name.split_once('@') {
        Some((path, version)) => (path, Some(version)),
        None => (name, None),
    }
}

/// Whether a host that provides `provided` satisfies `import`: the same
/// interface, and a version the host's can stand in for (wasmtime links
/// semver-compatible versions: same major, or same minor below 1.0, not
/// newer than the host's; pre-releases only exactly).
pub fn satisfies(provided: &str, import: &str) -> bool {
    let ((path, provided_version), (import_path, import_version)) =
        (split(provided), split(import));
    if path != import_path {
        return false;
    }
    match (provided_version, import_version) {
        (None, None) => true,
        (Some(p), Some(i)) if p == i => true,
        (Some(p), Some(i)) => match (release(p), release(i)) {
            (Some(p), Some(i)) => {
                let compatible = if p[0] == 0 {
                    p[..2] == i[..2]
                } else {
                    p[0] == i[0]
                };
                compatible && i <= p
            }
            _ => false,
        },
        _ => false,
    }
}

/// `[major, minor, patch]` of a version without a pre-release part.
fn release(version: &str) -> Option<[u64; 3]> {
    let mut parts = version.split('.').map(|p| p.parse::<u64>().ok());
    let numbers = [parts.next()??, parts.next()??, parts.next()??];
    parts.next().is_none().then_some(numbers)
}

/// The imports of `imports` that nothing in `provided` satisfies.
pub fn unprovided(imports: &[String], provided: &[String]) -> Vec<String> {
    imports
        .iter()
        .filter(|import| !provided.iter().any(|p| satisfies(p, import)))
        .cloned()
        .collect()
}

/// The directory of spin-sdk's WIT, from `cargo metadata` of `workspace`.
pub fn spin_sdk_wit(workspace: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(workspace)
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|e| e.to_string())?;
    let manifest = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "spin-sdk")
        .and_then(|p| p["manifest_path"].as_str())
        .ok_or("spin-sdk is not in the dependency graph")?;
    Ok(Path::new(manifest)
        .parent()
        .expect("a manifest has a directory")
        .join("wit"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_matched_the_way_wasmtime_links_them() {
        assert!(satisfies("wasi:io/poll@0.2.6", "wasi:io/poll@0.2.0"));
        assert!(satisfies("wasi:io/poll@0.2.6", "wasi:io/poll@0.2.6"));
        assert!(!satisfies("wasi:io/poll@0.2.6", "wasi:io/poll@0.2.7"));
        assert!(!satisfies("wasi:io/poll@0.2.6", "wasi:io/poll@0.3.0"));
        assert!(!satisfies("wasi:io/poll@0.2.6", "wasi:io/streams@0.2.0"));
        assert!(satisfies(
            "wasi:keyvalue/store@0.2.0-draft2",
            "wasi:keyvalue/store@0.2.0-draft2"
        ));
        assert!(!satisfies(
            "wasi:http/types@0.2.6",
            "wasi:http/types@0.3.0-rc-2026-01-06"
        ));
        assert!(satisfies(
            "fermyon:spin/variables@2.0.0",
            "fermyon:spin/variables@2.0.0"
        ));
        assert!(!satisfies(
            "fermyon:spin/variables@2.0.0",
            "fermyon:spin/variables@3.0.0"
        ));
    }

    #[test]
    fn unprovided_lists_only_what_nothing_satisfies() {
        let provided = vec![
            "wasi:io/poll@0.2.6".to_owned(),
            "seed:email/channel@0.1.0".to_owned(),
        ];
        let imports = vec![
            "wasi:io/poll@0.2.0".to_owned(),
            "seed:email/channel@0.1.0".to_owned(),
            "seed:push/channel@0.1.0".to_owned(),
            "wasi:http/handler@0.3.0-rc-2026-01-06".to_owned(),
        ];
        assert_eq!(
            unprovided(&imports, &provided),
            [
                "seed:push/channel@0.1.0",
                "wasi:http/handler@0.3.0-rc-2026-01-06"
            ]
        );
    }
}
