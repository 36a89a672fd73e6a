//! Helpers for the email and SMS channels: local HTTP servers standing in
//! for the provider APIs, the variables that point the default providers
//! at them, and a copy of spin.toml with a provider replaced.

use crate::app::{AppBuilder, repo_root};
use crate::peers::WebhookServer;
use std::path::{Path, PathBuf};

/// Where the default providers' requests go on a stand-in API server.
pub const EMAIL_API_PATH: &str = "/v3/mail/send";
pub const SMS_API_PATH: &str = "/v2/messages";
pub const EMAIL_FROM: &str = "noreply@seed.test";
pub const SMS_FROM: &str = "+15550001111";

/// Points the default email provider at `api`, with `key` as its secret.
pub fn with_email_api(builder: AppBuilder, api: &WebhookServer, key: &str) -> AppBuilder {
    builder
        .variable("email_api_url", format!("{}{EMAIL_API_PATH}", api.origin()))
        .variable("email_api_origin", api.origin())
        .variable("email_api_key", key)
        .variable("email_from", EMAIL_FROM)
}

/// Points the default SMS provider at `api`, with `key` as its secret.
pub fn with_sms_api(builder: AppBuilder, api: &WebhookServer, key: &str) -> AppBuilder {
    builder
        .variable("sms_api_url", format!("{}{SMS_API_PATH}", api.origin()))
        .variable("sms_api_origin", api.origin())
        .variable("sms_api_key", key)
        .variable("sms_from", SMS_FROM)
}

/// The built test provider (`tests/channel-provider`).
pub fn test_provider_wasm() -> PathBuf {
    let wasm = repo_root().join("target/wasm32-wasip2/release/test_channel_provider.wasm");
    assert!(
        wasm.exists(),
        "{} is missing: build it with `cargo build --release --target wasm32-wasip2 -p test-channel-provider`",
        wasm.display()
    );
    wasm
}

/// Writes into `dir` a copy of the repository's spin.toml whose `email`
/// dependency is `provider`: the way an operator brings their own provider.
/// Relative paths become absolute so the copy runs from anywhere.
pub fn manifest_with_email_provider(dir: &Path, provider: &Path) -> PathBuf {
    let root = repo_root();
    let original =
        std::fs::read_to_string(root.join("spin.toml")).expect("read the repository's spin.toml");
    let mut replaced = 0;
    let mut text = String::new();
    for line in original.lines() {
        let line = if line.starts_with("\"seed:email/channel@") {
            replaced += 1;
            format!(
                "\"seed:email/channel@0.1.0\" = {{ path = \"{}\" }}",
                provider.display()
            )
        } else {
            absolute_paths(line, &root)
        };
        text.push_str(&line);
        text.push('\n');
    }
    assert_eq!(replaced, 1, "spin.toml names one email provider dependency");
    let path = dir.join("spin.swapped.toml");
    std::fs::write(&path, text).expect("write the manifest copy");
    path
}

/// `source = "target/…"` and `path = "target/…"` relative to `root`.
fn absolute_paths(line: &str, root: &Path) -> String {
    let mut out = line.to_owned();
    for key in ["source = \"", "path = \""] {
        if let Some(start) = out.find(key).map(|i| i + key.len())
            && !out[start..].starts_with('/')
        {
            out.insert_str(start, &format!("{}/", root.display()));
        }
    }
    out
}
