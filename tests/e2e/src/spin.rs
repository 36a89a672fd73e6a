//! Real `spin up` as a child process: the runtime users run, on a loopback
//! port, with its components' output filed in a log directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::announce::announced;

/// How long `spin up` may take to print the address it serves on. It
/// compiles every component on a cold cache, which takes a few seconds on
/// two busy cores.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

/// The `spin` binary: `$SPIN` when set, else `spin` on `PATH`. Missing, the
/// suite fails with the command that installs it, never skips.
pub fn spin_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("SPIN").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("spin"))
                .find(|candidate| candidate.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "no `spin` binary: the end-to-end suite runs the app on real Spin. Install it \
                 (https://spinframework.dev/install) or set SPIN=/path/to/spin"
            )
        })
}

/// What to pass to `spin up`.
#[derive(Clone, Debug, Default)]
pub struct SpinUp {
    /// `--from`: a manifest path or a registry reference.
    pub from: String,
    /// `--runtime-config-file`.
    pub runtime_config: Option<PathBuf>,
    /// `--variable name=value`.
    pub variables: Vec<(String, String)>,
    /// `--component-id` (empty: every component).
    pub components: Vec<String>,
    /// Extra environment of the `spin` process (e.g. OpenTelemetry).
    pub env: Vec<(String, String)>,
    /// Extra flags (e.g. `--insecure` for a plain-HTTP registry).
    pub extra_args: Vec<String>,
    /// Working directory, and where `--log-dir` and `--state-dir` go.
    pub dir: PathBuf,
}

/// A running `spin up`; killed when dropped.
pub struct SpinProcess {
    child: Child,
    addr: SocketAddr,
    log_dir: PathBuf,
}

impl SpinUp {
    pub async fn start(&self) -> SpinProcess {
        let log_dir = self.dir.join("logs");
        let mut command = Command::new(spin_binary());
        command
            .arg("up")
            .arg("--from")
            .arg(&self.from)
            // Port 0: Spin binds a free port itself, so no other process
            // can take it between choosing and binding.
            .args(["--listen", "127.0.0.1:0"])
            .arg("--log-dir")
            .arg(&log_dir)
            .arg("--state-dir")
            .arg(self.dir.join("spin-state"));
        if let Some(config) = &self.runtime_config {
            command.arg("--runtime-config-file").arg(config);
        }
        for (name, value) in &self.variables {
            command.arg("--variable").arg(format!("{name}={value}"));
        }
        for id in &self.components {
            command.arg("--component-id").arg(id);
        }
        command
            .args(&self.extra_args)
            // The suite's own environment must not reconfigure the app.
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // `spin up` runs the app in a child process of its own
            // (`spin trigger http`): a process group lets the suite stop
            // both, so no app outlives its test.
            .process_group(0)
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("could not run {}: {e}", spin_binary().display()));
        let addr = tokio::time::timeout(STARTUP_TIMEOUT, serving_address(&mut child))
            .await
            .unwrap_or_else(|_| panic!("spin up printed no address within {STARTUP_TIMEOUT:?}"))
            .unwrap_or_else(|output| panic!("spin up did not start:\n{output}"));
        SpinProcess {
            child,
            addr,
            log_dir,
        }
    }
}

/// Reads `spin up`'s stdout until `Serving http://<addr>`; on exit, the
/// whole output as the error. stderr is drained in the background so a
/// chatty Spin never blocks on a full pipe.
async fn serving_address(child: &mut Child) -> Result<SocketAddr, String> {
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let stderr_text = tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        let mut text = String::new();
        while let Ok(Some(line)) = lines.next_line().await {
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    let serving = announced(stdout, |line| {
        line.strip_prefix("Serving http://")
            .and_then(|rest| rest.parse().ok())
    })
    .await;
    let seen = match serving {
        Ok(addr) => return Ok(addr),
        Err(seen) => seen,
    };
    let _ = child.wait().await;
    let stderr = stderr_text.await.unwrap_or_default();
    Err(format!("{seen}{stderr}"))
}

impl SpinProcess {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What a component wrote to standard output so far.
    pub fn stdout(&self, component: &str) -> String {
        read_log(&self.log_dir, component, "stdout")
    }

    /// What a component wrote to standard error so far.
    pub fn stderr(&self, component: &str) -> String {
        read_log(&self.log_dir, component, "stderr")
    }

    /// Stops Spin the way Ctrl-C does, and kills it if it lingers.
    pub async fn shutdown(mut self) {
        self.signal_group(libc::SIGINT);
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            self.signal_group(libc::SIGKILL);
            let _ = self.child.wait().await;
        }
    }

    /// Signals `spin up` and the trigger process it started.
    fn signal_group(&self, signal: libc::c_int) {
        if let Some(pid) = self.child.id() {
            // SAFETY: kill(2) with a negative pid signals the process group
            // this child leads (see `process_group(0)` above); it touches no
            // memory of ours.
            unsafe {
                libc::kill(-(pid as libc::pid_t), signal);
            }
        }
    }
}

impl Drop for SpinProcess {
    fn drop(&mut self) {
        // A test that panics drops its app without a shutdown.
        self.signal_group(libc::SIGKILL);
    }
}

fn read_log(dir: &Path, component: &str, stream: &str) -> String {
    std::fs::read_to_string(dir.join(format!("{component}_{stream}.txt"))).unwrap_or_default()
}
