use std::future::Future;
use std::time::{Duration, Instant};

/// The lines of a component's output that are JSON values (its log lines,
/// a channel's deliveries), in order; anything else Spin or the component
/// wrote is left out.
pub fn json_lines(output: &str) -> impl Iterator<Item = serde_json::Value> + '_ {
    output
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
}

/// The lower-case hex SHA-256 of `text`: how the services name the store
/// keys of user ids and tokens, for tests that break one.
pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// 12 random lower-case hex characters.
pub fn random_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

/// A username no other run uses: `<prefix>-<12 hex>` (at most 32 characters).
pub fn unique_username(prefix: &str) -> String {
    let name = format!("{prefix}-{}", random_suffix());
    assert!(name.len() <= 32, "username {name:?} too long");
    name
}

/// An action name no other run uses, valid for `POST /analytics/events`.
pub fn unique_action(prefix: &str) -> String {
    format!("{prefix}.{}", random_suffix())
}

/// A password that passes every rule and is on no common-password list.
pub fn strong_password() -> String {
    format!("Pw-{}-{}!", random_suffix(), random_suffix())
}

/// Poll `check` until it returns `Ok`, at most `timeout`; panic with the last
/// error otherwise. For effects the contract allows to be asynchronous.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let start = Instant::now();
    loop {
        match check().await {
            Ok(v) => return v,
            Err(last) => {
                if start.elapsed() > timeout {
                    panic!("timed out after {timeout:?} waiting for {what}; last: {last}");
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `true` (after saying why) when the suite runs against an external
/// deployment and the scenario needs to start apps of its own.
pub fn skip_external(needs: &str) -> bool {
    match crate::external_deployment() {
        Some((base, _)) => {
            eprintln!(
                "SKIPPED: this scenario {needs}, which cannot be done to the external deployment at {base}"
            );
            true
        }
        None => false,
    }
}
