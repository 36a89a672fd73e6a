//! Writes the common-password table (see src/common_passwords.rs): the list
//! of the `passwords` crate, the version Cargo.lock pins, laid out by
//! src/common_passwords/table.rs. It goes to OUT_DIR (native builds read it
//! there: the tests) and beside the built components,
//! `target/<target>/<profile>/common-passwords.bin`, which spin.toml mounts
//! into the auth component: so the build that makes auth.wasm (the auth
//! component's build command, `spin build`) makes the table too.
//!
//! The crate keeps its list private, so it is read from the crate's source
//! (`data/common-passwords.json`), found with `cargo metadata`; the crate
//! itself, a build dependency, confirms entries of what was read.

use std::path::{Path, PathBuf};
use std::process::Command;

#[allow(dead_code)]
#[path = "src/common_passwords/table.rs"]
mod table;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/common_passwords/table.rs");
    let list = passwords_crate_list();
    let bytes =
        table::build(&list).unwrap_or_else(|error| panic!("common-password table: {error}"));

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let in_out_dir = out_dir.join(table::FILE_NAME);
    write(&in_out_dir, &bytes);
    println!(
        "cargo:rustc-env=COMMON_PASSWORDS_TABLE={}",
        in_out_dir.display()
    );
    // OUT_DIR is <target>/<target triple>/<profile>/build/<package>-<hash>/out.
    let profile_dir = out_dir
        .ancestors()
        .nth(3)
        .filter(|_| out_dir.ancestors().nth(2).and_then(Path::file_name) == Some("build".as_ref()));
    match profile_dir {
        Some(dir) => write(&dir.join(table::FILE_NAME), &bytes),
        None => println!(
            "cargo:warning=OUT_DIR {} is not under <target>/<profile>/build: {} only written there",
            out_dir.display(),
            table::FILE_NAME
        ),
    }
}

/// The crate's list, as its source ships it.
fn passwords_crate_list() -> Vec<String> {
    let manifest = manifest_of("passwords");
    let data = manifest
        .parent()
        .expect("a manifest is in a directory")
        .join("data/common-passwords.json");
    let text = std::fs::read_to_string(&data)
        .unwrap_or_else(|error| panic!("{}: {error}", data.display()));
    let list: Vec<String> =
        serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", data.display()));
    // The crate answers from this same list: spot-check entries through it.
    for entry in list.iter().step_by(list.len() / 16 + 1) {
        assert!(
            passwords::analyzer::is_common_password(entry),
            "{} lists {entry:?}, which the passwords crate does not call common",
            data.display()
        );
    }
    list
}

/// The Cargo.toml of the dependency `name` in this workspace's resolve.
fn manifest_of(name: &str) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it");
    let metadata = |offline: bool| {
        let mut command = Command::new(&cargo);
        command
            .args(["metadata", "--format-version", "1", "--manifest-path"])
            .arg(Path::new(&manifest_dir).join("Cargo.toml"));
        if offline {
            command.arg("--offline");
        }
        command
            .output()
            .ok()
            .filter(|output| output.status.success())
    };
    // Offline first: the build already has the package; online only when
    // other packages of the workspace were never fetched.
    let output = metadata(true)
        .or_else(|| metadata(false))
        .expect("cargo metadata failed");
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let manifests: Vec<&str> = metadata["packages"]
        .as_array()
        .expect("cargo metadata lists packages")
        .iter()
        .filter(|package| package["name"] == name)
        .filter_map(|package| package["manifest_path"].as_str())
        .collect();
    match manifests[..] {
        [manifest] => PathBuf::from(manifest),
        _ => panic!("expected one package {name} in the workspace, found {manifests:?}"),
    }
}

/// Writes through a temporary file, so that a reader never sees half a table.
fn write(path: &Path, bytes: &[u8]) {
    let partial = path.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&partial, bytes)
        .and_then(|()| std::fs::rename(&partial, path))
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
}
