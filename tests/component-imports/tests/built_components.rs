//! Every component the app ships (and the test provider) imports only what
//! Spin 3.6+/4.x or the project's own `wit/` provides. Build them first:
//! `cargo build --release --target wasm32-wasip2 -p auth -p analytics
//! -p notification -p channels -p docs -p email-provider -p sms-provider
//! -p test-channel-provider` (or `spin build`).

use component_imports::{
    component_imports, defined_interfaces, initial_heap_room, preview1_imports, spin_sdk_wit,
    unprovided, world_imports,
};
use std::path::PathBuf;

const COMPONENTS: [&str; 8] = [
    "auth",
    "analytics",
    "notification",
    "channels",
    "docs",
    "email_provider",
    "sms_provider",
    "test_channel_provider",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The release build of component `name`.
fn built(name: &str) -> Vec<u8> {
    let path = root().join(format!("target/wasm32-wasip2/release/{name}.wasm"));
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; build the components first", path.display()))
}

#[test]
fn every_import_is_provided_by_spin_or_by_our_wit() {
    let root = root();
    let provided = world_imports(&spin_sdk_wit(&root).unwrap(), "platform").unwrap();
    assert!(
        provided
            .iter()
            .any(|p| p.starts_with("wasi:http/outgoing-handler@0.2")),
        "Spin's world was read: {provided:?}"
    );
    let ours = defined_interfaces(&root.join("wit")).unwrap();
    assert!(!ours.is_empty(), "wit/ defines interfaces");
    // Spin links our interfaces only into a component whose dependencies
    // (spin.toml) provide them; any other component importing one would
    // not start.
    let with_ours: Vec<String> = provided.iter().cloned().chain(ours).collect();
    let with_dependencies = components_with_dependencies(&root);
    assert_eq!(with_dependencies, ["channels"], "spin.toml was read");

    let mut problems = Vec::new();
    for name in COMPONENTS {
        let bytes = built(name);
        let imports = component_imports(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!imports.is_empty(), "{name}: no imports were read");
        println!("{name}:");
        for import in &imports {
            println!("  {import}");
        }
        let provided = if with_dependencies.iter().any(|c| c == name) {
            &with_ours
        } else {
            &provided
        };
        for import in unprovided(&imports, provided) {
            problems.push(format!("{name} imports {import}"));
        }
        // The providers' interfaces, which only our wit/ provides.
        if name == "channels" {
            for channel in ["seed:email/channel@0.1.0", "seed:sms/channel@0.1.0"] {
                assert!(
                    imports.iter().any(|i| i == channel),
                    "channels does not import {channel}: {imports:?}"
                );
            }
        }
    }
    assert!(
        problems.is_empty(),
        "imports no host of ours provides:\n{}",
        problems.join("\n")
    );
}

/// The components spin.toml gives `dependencies`, by their ids (a
/// `[component.<id>.dependencies]` table).
fn components_with_dependencies(root: &std::path::Path) -> Vec<String> {
    let manifest = std::fs::read_to_string(root.join("spin.toml")).expect("spin.toml");
    manifest
        .lines()
        .filter_map(|line| line.trim().strip_prefix("[component."))
        .filter_map(|rest| rest.strip_suffix(".dependencies]"))
        .map(str::to_owned)
        .collect()
}

/// No component carries the WASI preview 1 adapter: each instance would
/// set it up for every request, whether or not the request calls it
/// (auth once did, for argon2's salts through getrandom 0.2: about 10 µs
/// of CPU a request, measured in bench/).
#[test]
fn no_component_calls_wasi_preview_1() {
    // A positive control, so that a reader that finds nothing cannot pass:
    // `(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))))`
    // in bytes: the header, a type section with that one function type,
    // then an import section with that one import.
    let mut module = b"\0asm\x01\0\0\0\x01\x05\x01\x60\x01\x7f\x00".to_vec();
    let import = [
        &[1, 22][..],
        b"wasi_snapshot_preview1",
        &[9],
        b"proc_exit",
        &[0, 0],
    ]
    .concat();
    module.extend([2, import.len() as u8]);
    module.extend(import);
    assert_eq!(preview1_imports(&module).unwrap(), ["proc_exit"]);

    let mut problems = Vec::new();
    for name in COMPONENTS {
        let bytes = built(name);
        let imports = preview1_imports(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        if !imports.is_empty() {
            problems.push(format!("{name}: {}", imports.join(", ")));
        }
    }
    assert!(
        problems.is_empty(),
        "components calling WASI preview 1 (cargo tree -i getrandom@0.2 shows who):\n{}",
        problems.join("\n")
    );
}

/// The services start with room for a request's heap, so that a request
/// does not grow the memory (analytics' three pages once left 5 KiB, and a
/// user's metrics grew it on every request; their `build.rs` set four).
#[test]
fn the_services_start_with_room_for_a_requests_heap() {
    const MIN_ROOM: u64 = 32 * 1024;
    for name in ["auth", "analytics", "notification"] {
        let bytes = built(name);
        let room = initial_heap_room(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        println!(
            "{name}: {} KiB of heap before the memory grows",
            room / 1024
        );
        assert!(room >= MIN_ROOM, "{name} starts with {room} bytes of heap");
    }
}
