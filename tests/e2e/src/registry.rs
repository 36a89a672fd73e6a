//! A real OCI registry on loopback (Debian's `docker-registry`), for the
//! path SpinKube takes: `spin registry push`, then `spin up --from`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::announce::announced;

/// A `docker-registry` serving plain HTTP on a loopback port it chose, its
/// blobs in a temporary directory. Killed when dropped.
pub struct Registry {
    _child: tokio::process::Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

/// Starts a registry. A missing `docker-registry` is a failure with
/// instructions, never a silent skip.
pub async fn registry() -> Registry {
    let binary = find_on_path("docker-registry").unwrap_or_else(|| {
        panic!(
            "docker-registry is not installed: the OCI scenario needs it \
             (Debian: apt-get install -y docker-registry)"
        )
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config.yml");
    // Port 0: the registry binds a free port itself and logs it, so no
    // other process can take it between choosing and binding.
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:0\n",
            dir.path().join("data").display()
        ),
    )
    .expect("write registry config");
    let mut child = tokio::process::Command::new(binary)
        .arg("serve")
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run docker-registry");
    let log = child.stderr.take().expect("piped stderr");
    let addr = tokio::time::timeout(Duration::from_secs(20), announced(log, listening_address))
        .await
        .unwrap_or_else(|_| panic!("docker-registry did not listen within 20 s"))
        .unwrap_or_else(|log| panic!("docker-registry exited without listening:\n{log}"));
    Registry {
        _child: child,
        addr,
        _dir: dir,
    }
}

/// The address in the registry's `msg="listening on 127.0.0.1:39531"`.
fn listening_address(line: &str) -> Option<SocketAddr> {
    let (_, rest) = line.split_once("msg=\"listening on ")?;
    rest.split('"').next()?.parse().ok()
}

impl Registry {
    /// `127.0.0.1:<port>/<repository>:<tag>`.
    pub fn reference(&self, repository: &str, tag: &str) -> String {
        format!("{}/{repository}:{tag}", self.addr)
    }
}

/// A local registry holding this repository's app as
/// `<repository>:<random tag>`, pushed by `$SPIN_PUSH` when set (another
/// Spin line than the one under test), else by the Spin under test; the
/// reference to run.
pub async fn registry_with_the_app(repository: &str) -> (Registry, String) {
    let registry = registry().await;
    let reference = registry.reference(repository, &crate::random_suffix());
    let pusher = std::env::var_os("SPIN_PUSH")
        .filter(|path| !path.is_empty())
        .map_or_else(crate::spin_binary, PathBuf::from);
    let pushed = push(&pusher, &crate::repo_root().join("spin.toml"), &reference);
    assert!(
        pushed.status.success(),
        "spin registry push failed:\n{}{}",
        String::from_utf8_lossy(&pushed.stdout),
        String::from_utf8_lossy(&pushed.stderr)
    );
    (registry, reference)
}

/// `spin registry push --insecure <reference>` of the app in `manifest`.
pub fn push(spin: &PathBuf, manifest: &PathBuf, reference: &str) -> Output {
    Command::new(spin)
        .args(["registry", "push", "--insecure", "--from"])
        .arg(manifest)
        .arg(reference)
        .stdin(Stdio::null())
        .output()
        .expect("run spin registry push")
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
