//! Headless Chromium under chromedriver, both Debian's packages. A missing
//! browser or driver fails the test with a message saying what to install.

use crate::commands::{BrowserLog, DevTools};
use e2e::announced;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tempfile::TempDir;
use tokio::process::{Child, Command};

const INSTALL: &str = "install them with `apt-get install -y chromium chromium-driver`";

/// How long a page may take to reach a state before the test gives up:
/// generous, since both cores may be busy compiling.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Records what goes wrong in the page from before its first script runs:
/// uncaught errors, rejected promises, resources that failed to load and
/// Content-Security-Policy violations.
const ERROR_HOOK: &str = r#"
window.__pageErrors = [];
window.addEventListener("error", (event) => {
  const target = event.target;
  if (target && target !== window && (target.src || target.href)) {
    window.__pageErrors.push("resource failed: " + (target.src || target.href));
  } else {
    window.__pageErrors.push("error: " + event.message);
  }
}, true);
window.addEventListener("unhandledrejection", (event) => {
  window.__pageErrors.push("unhandled rejection: " + event.reason);
});
document.addEventListener("securitypolicyviolation", (event) => {
  window.__pageErrors.push("csp: " + event.violatedDirective + " blocked " + event.blockedURI);
});
"#;

pub struct Browser {
    pub client: Client,
    _driver: Child,
    _profile: TempDir,
}

impl Browser {
    pub async fn launch() -> Self {
        let chromium = find_program(&["chromium", "chromium-browser"]).unwrap_or_else(|| {
            panic!("Chromium is not installed (no `chromium` on PATH); {INSTALL}")
        });
        let chromedriver = find_program(&["chromedriver"]).unwrap_or_else(|| {
            panic!("chromedriver is not installed (no `chromedriver` on PATH); {INSTALL}")
        });
        // Port 0: the driver binds a free port itself and names it, so no
        // other process can take it between choosing and binding.
        let mut driver = Command::new(&chromedriver)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        // "ChromeDriver was started successfully on port 43219."
        let started = announced(driver.stdout.take().expect("piped stdout"), |line| {
            let (_, port) = line.split_once("started successfully on port ")?;
            port.trim_end_matches('.').parse::<u16>().ok()
        });
        let port = tokio::time::timeout(PATIENCE, started)
            .await
            .unwrap_or_else(|_| panic!("chromedriver named no port within {PATIENCE:?}"))
            .unwrap_or_else(|output| panic!("chromedriver exited without listening:\n{output}"));

        let profile = tempfile::tempdir().expect("a browser profile directory");
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--window-size=1280,1024",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
            "goog:loggingPrefs": {"browser": "ALL"},
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| {
                panic!("chromedriver could not start Chromium ({e}); is `chromium` working?")
            });
        client
            .issue_cmd(DevTools {
                command: "Page.addScriptToEvaluateOnNewDocument",
                params: json!({"source": ERROR_HOOK}),
            })
            .await
            .expect("install the page-error hook");
        Self {
            client,
            _driver: driver,
            _profile: profile,
        }
    }

    /// Runs `script` (a function body) and returns its result.
    pub async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// What the page-error hook recorded.
    pub async fn page_errors(&self) -> Vec<String> {
        let errors = self.eval("return window.__pageErrors || ['the error hook is missing'];");
        serde_json::from_value(errors.await).expect("a list of strings")
    }

    /// Console messages at error level (failed loads, CSP reports, exceptions).
    pub async fn console_errors(&self) -> Vec<String> {
        let entries = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .expect("read the browser log");
        entries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// Polls `check` until it holds; panics naming `what` after [`PATIENCE`].
pub async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}
