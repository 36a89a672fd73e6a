//! A real OCI registry on loopback (Debian's `docker-registry`), for the
//! path SpinKube takes: `spin registry push`, then `spin up --from`.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A `docker-registry` serving plain HTTP on a free loopback port, its
/// blobs in a temporary directory. Killed when dropped.
pub struct Registry {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

/// Starts a registry. A missing `docker-registry` is a failure with
/// instructions, never a silent skip.
pub fn registry() -> Registry {
    let binary = find_on_path("docker-registry").unwrap_or_else(|| {
        panic!(
            "docker-registry is not installed: the OCI scenario needs it \
             (Debian: apt-get install -y docker-registry)"
        )
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let config = dir.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\n",
            dir.path().join("data").display()
        ),
    )
    .expect("write registry config");
    let child = Command::new(binary)
        .arg("serve")
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run docker-registry");
    let registry = Registry {
        child,
        addr,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            Instant::now() < deadline,
            "docker-registry did not listen on {addr} within 20 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    registry
}

impl Registry {
    /// `127.0.0.1:<port>/<repository>:<tag>`.
    pub fn reference(&self, repository: &str, tag: &str) -> String {
        format!("{}/{repository}:{tag}", self.addr)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A local registry holding this repository's app, pushed by the Spin
/// under test as `<repository>:<random tag>`; the reference to run.
pub fn registry_with_the_app(repository: &str) -> (Registry, String) {
    let registry = registry();
    let reference = registry.reference(repository, &crate::random_suffix());
    let pushed = push(
        &crate::spin_binary(),
        &crate::repo_root().join("spin.toml"),
        &reference,
    );
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
