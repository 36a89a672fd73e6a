//! Helpers for the black-box end-to-end suite in `tests/api`.
//!
//! [`spawn_app`] runs the real components (the `.wasm` files built from
//! this repository) under real `spin up` (`$SPIN`, else `spin` on `PATH`)
//! on a random loopback port, with fresh stores in a temporary directory
//! and a random internal key. When `E2E_BASE_URL` and `E2E_INTERNAL_KEY` are set it
//! points at that running deployment instead, and the scenarios that must
//! restart or reconfigure the app skip (see [`AppBuilder::spawn_local`]).

mod announce;
mod app;
mod channels;
mod http_wire;
mod manifest;
pub mod otlp;
mod peers;
mod raw;
mod redis;
mod registry;
mod relay;
mod reply;
mod runtime_config;
mod scripted_peer;
mod spin;
mod util;

pub use announce::announced;
pub use app::{
    AppBuilder, Cred, StateDir, TestApp, TestUser, actions_of, app, external_deployment, repo_root,
    spawn_app,
};
pub use channels::{
    EMAIL_API_PATH, EMAIL_FROM, SMS_API_PATH, SMS_FROM, manifest_with_email_provider,
    test_provider_wasm, with_email_api, with_email_api_at, with_sms_api,
};
pub use manifest::{components, manifest_without_mounted_files, spin_toml_copy};
pub use peers::{ClosedPort, HangingPeer, RecordedRequest, TricklingPeer, WebhookServer};
pub use raw::{RawReply, raw_request, still_waiting};
pub use redis::{RedisServer, redis_server};
pub use registry::{Registry, push, registry, registry_with_the_app};
pub use relay::Relay;
pub use reply::{Reply, assert_rfc3339_utc, assert_uuid, assert_uuid_v4, detail_fields};
pub use runtime_config::write_runtime_config;
pub use scripted_peer::ScriptedPeer;
pub use spin::{SpinProcess, SpinUp, spin_binary};
pub use util::{
    eventually, json_lines, random_suffix, sha256_hex, skip_external, strong_password,
    unique_action, unique_username,
};

pub use reqwest;
pub use serde_json::{Value, json};

/// How long the suite waits for effects the contract lets happen later
/// (event and notification delivery): generous, since it only bounds a poll.
pub const DELIVERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// A bound for "returns promptly, does not hang": far above any sane
/// latency, far below Spin's 600 s default outbound timeouts.
pub const PROMPT: std::time::Duration = std::time::Duration::from_secs(10);
