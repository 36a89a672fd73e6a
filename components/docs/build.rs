//! Fetches Swagger UI's browser files from the npm registry: the pinned
//! `swagger-ui-dist` tarball, checked against the registry's sha512
//! integrity, unpacked into OUT_DIR for `include_bytes!`. Nothing third-party
//! is committed; the download happens once per build directory.
//!
//! Offline builds: set `SWAGGER_UI_DIST_TARBALL` to a copy of the tarball
//! (it is checked just the same).

use base64::Engine;
use sha2::{Digest, Sha512};
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

/// The package version and its `dist.integrity` from the npm registry
/// (`https://registry.npmjs.org/swagger-ui-dist/<version>`).
const VERSION: &str = "5.35.0";
const INTEGRITY: &str = "sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==";

/// The files the page uses, with their content types.
const FILES: &[(&str, &str)] = &[
    ("swagger-ui.css", "text/css; charset=utf-8"),
    ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    (
        "swagger-ui-standalone-preset.js",
        "text/javascript; charset=utf-8",
    ),
    ("favicon-32x32.png", "image/png"),
    ("favicon-16x16.png", "image/png"),
    // Swagger UI is Apache-2.0: its licence and notice travel with it.
    ("LICENSE", "text/plain; charset=utf-8"),
    ("NOTICE", "text/plain; charset=utf-8"),
];

const OFFLINE_TARBALL: &str = "SWAGGER_UI_DIST_TARBALL";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed={OFFLINE_TARBALL}");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));

    let tarball = match env::var_os(OFFLINE_TARBALL) {
        Some(path) => PathBuf::from(path),
        None => download(&out_dir),
    };
    let bytes =
        fs::read(&tarball).unwrap_or_else(|e| panic!("cannot read {}: {e}", tarball.display()));
    verify(&bytes, &tarball);

    let files_dir = out_dir.join("swagger-ui");
    fs::create_dir_all(&files_dir).expect("create OUT_DIR/swagger-ui");
    unpack(&bytes, &files_dir);
    write_asset_table(&out_dir, &files_dir);
    println!("cargo:rustc-env=SWAGGER_UI_VERSION={VERSION}");
}

/// The tarball in OUT_DIR, fetched with `curl` when it is not there yet.
fn download(out_dir: &Path) -> PathBuf {
    let target = out_dir.join(format!("swagger-ui-dist-{VERSION}.tgz"));
    if target.exists() {
        return target;
    }
    let url = format!("https://registry.npmjs.org/swagger-ui-dist/-/swagger-ui-dist-{VERSION}.tgz");
    let partial = target.with_extension("tgz.part");
    let status = Command::new("curl")
        .args(["--fail", "--silent", "--show-error", "--location"])
        .args(["--proto", "=https", "--retry", "3", "--max-time", "300"])
        .arg("--output")
        .arg(&partial)
        .arg(&url)
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "running curl to fetch {url} failed ({e}); install curl or set {OFFLINE_TARBALL}"
            )
        });
    assert!(
        status.success(),
        "curl could not fetch {url} ({status}); check the network or set {OFFLINE_TARBALL}"
    );
    fs::rename(&partial, &target).expect("move the downloaded tarball into place");
    target
}

/// Refuses anything but the exact tarball the registry published.
fn verify(bytes: &[u8], path: &Path) {
    let actual = format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha512::digest(bytes))
    );
    if actual != INTEGRITY {
        // A corrupt download must not be reused by the next build.
        if env::var_os(OFFLINE_TARBALL).is_none() {
            let _ = fs::remove_file(path);
        }
        panic!(
            "{} is not swagger-ui-dist {VERSION}: integrity {actual}, expected {INTEGRITY}",
            path.display()
        );
    }
}

fn unpack(tarball: &[u8], files_dir: &Path) {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tarball));
    let mut found = Vec::new();
    for entry in archive.entries().expect("read the tarball") {
        let mut entry = entry.expect("read a tarball entry");
        let path = entry.path().expect("entry path").into_owned();
        let Some(name) = path
            .strip_prefix("package")
            .ok()
            .and_then(|p| p.to_str())
            .filter(|name| FILES.iter().any(|(file, _)| file == name))
            .map(str::to_owned)
        else {
            continue;
        };
        let mut contents = Vec::new();
        entry
            .read_to_end(&mut contents)
            .expect("read a tarball file");
        fs::write(files_dir.join(&name), contents).expect("write an unpacked file");
        found.push(name);
    }
    for (file, _) in FILES {
        assert!(
            found.iter().any(|name| name == file),
            "swagger-ui-dist {VERSION} has no {file}"
        );
    }
}

/// `assets.rs`: one entry per file, so src/ names no file twice.
fn write_asset_table(out_dir: &Path, files_dir: &Path) {
    let mut table = String::from("pub const FILES: &[Asset] = &[\n");
    for (name, content_type) in FILES {
        let path = files_dir.join(name);
        writeln!(
            table,
            "    Asset {{ name: {name:?}, content_type: {content_type:?}, bytes: include_bytes!({path:?}) }},"
        )
        .expect("write to a String");
    }
    table.push_str("];\n");
    fs::write(out_dir.join("assets.rs"), table).expect("write assets.rs");
}
