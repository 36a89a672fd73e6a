//! Helpers for the email and SMS channels: local HTTP servers standing in
//! for the provider APIs, the variables that point the default providers
//! at them, and a copy of spin.toml with a provider replaced.

use crate::app::{AppBuilder, repo_root};
use crate::manifest::{components, spin_toml_copy};
use crate::peers::WebhookServer;
use std::path::{Path, PathBuf};

/// Where the default providers' requests go on a stand-in API server.
pub const EMAIL_API_PATH: &str = "/v3/mail/send";
pub const SMS_API_PATH: &str = "/v2/messages";
pub const EMAIL_FROM: &str = "noreply@seed.test";
pub const SMS_FROM: &str = "+15550001111";

/// Points the default email provider at `api`, with `key` as its secret.
pub fn with_email_api(builder: AppBuilder, api: &WebhookServer, key: &str) -> AppBuilder {
    with_email_api_at(builder, &api.origin(), key)
}

/// Points the default email provider at the server at `origin`
/// (`scheme://host:port`), with `key` as its secret.
pub fn with_email_api_at(builder: AppBuilder, origin: &str, key: &str) -> AppBuilder {
    builder
        .variable("email_api_url", format!("{origin}{EMAIL_API_PATH}"))
        .variable("email_api_origin", origin)
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
/// It runs from anywhere (see [`spin_toml_copy`]).
pub fn manifest_with_email_provider(dir: &Path, provider: &Path) -> PathBuf {
    spin_toml_copy(dir, "spin.swapped.toml", |manifest| {
        let email = components(manifest)
            .get_mut("channels")
            .and_then(|channels| channels.get_mut("dependencies"))
            .and_then(|dependencies| dependencies.get_mut("seed:email/channel@0.1.0"))
            .and_then(toml::Value::as_table_mut)
            .expect("spin.toml names the channels component's email provider");
        email.clear();
        email.insert("path".to_owned(), provider.display().to_string().into());
    })
}
