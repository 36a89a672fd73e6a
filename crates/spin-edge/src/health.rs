//! The health endpoint every service serves, answering within 2 s whatever
//! the store does.
//!
//! A key-value call cannot be bounded from inside the guest: when Redis
//! stops answering, the call (and the instance making it) waits until Redis
//! is back, which on real Spin took minutes. So `GET /<service>/health`
//! does not touch the store itself: it asks another instance of the same
//! component to, through the internal route `GET /<service>/health/kv`
//! ([`probe`], internal key required), and waits for that answer at most
//! [`PROBE_DEADLINE`]. The call goes to the service's own base URL, the
//! variable `<service>_url` the other services already use to reach it
//! (`http://<service>.spin.internal` by default: Spin's in-process
//! chaining, which also works under `--component-id` and in a selective
//! SpinKube deployment, the component chaining to itself; the service's own
//! address only where chaining cannot reach its component).

use crate::caller::{INTERNAL_KEY_HEADER, require_internal_key};
use crate::config;
use crate::health_report::HealthReport;
use crate::kv::SpinStore;
use crate::outbound::{self, Deadline, OutboundRequest};
use crate::request_id;
use crate::serve::{HandlerResult, RequestContext};
use domain_core::{Clock, KeyValueStore, SystemClock};
use spin_sdk::http::Request;
use std::time::Duration;

/// Key the probe reads, and writes with the time of writing: a write
/// proves the store answers and accepts changes (a store that only reads,
/// such as a SQLite file that cannot be written, fails every request that
/// counts or claims).
const PROBE_KEY: &str = "health:probe";

/// How old the last probe write may be before a probe writes again. Health
/// needs no credentials, so a flood of checks costs the store reads, and
/// at most about one durable write a second; a store that stops taking
/// writes fails its checks within that second.
const PROBE_WRITE_INTERVAL_MS: u64 = 1000;

/// How long health waits for the probe: well inside the 2 s a readiness
/// check may take, with room for the response itself.
pub const PROBE_DEADLINE: Deadline =
    Deadline::within(Duration::from_millis(500), Duration::from_millis(1200));

/// Why the store check failed, for the log.
#[derive(Debug)]
enum ProbeFailure {
    Unreachable(String),
    Answered(u16),
}

impl std::fmt::Display for ProbeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreachable(cause) => write!(f, "probe not answered: {cause}"),
            Self::Answered(status) => write!(f, "probe answered {status}"),
        }
    }
}

/// `GET /<service>/health`: `200 ok`, or `503` naming the `kv` check when
/// the store fails, or does not answer within [`PROBE_DEADLINE`].
pub fn health(context: &RequestContext) -> HandlerResult {
    let kv = probe_store(context);
    if let Err(cause) = &kv {
        context.log(
            "health_check_failed",
            serde_json::json!({"check": "kv", "cause": cause.to_string()}),
        );
    }
    Ok(report(context).check("kv", kv).into_response())
}

fn probe_store(context: &RequestContext) -> Result<(), ProbeFailure> {
    let name = context.service.name;
    let unreachable = |cause: String| ProbeFailure::Unreachable(cause);
    let base = config::base_url(&format!("{name}_url"))
        .map_err(|_| unreachable(format!("{name}_url is not set")))?;
    let key = config::required_variable("internal_api_key")
        .map_err(|_| unreachable("internal_api_key is not set".to_owned()))?;
    let request = OutboundRequest::get(format!("{base}{}", probe_path(name)))
        .header(INTERNAL_KEY_HEADER, key)
        .header(request_id::HEADER, context.request_id.clone());
    match outbound::send(request, PROBE_DEADLINE) {
        Ok(response) if response.status == 200 => Ok(()),
        Ok(response) => Err(ProbeFailure::Answered(response.status)),
        Err(error) => Err(unreachable(error.to_string())),
    }
}

/// Where a service's health check lives.
pub fn health_path(service: &str) -> String {
    format!("/{service}/health")
}

/// Where a service's store probe lives.
pub fn probe_path(service: &str) -> String {
    format!("/{service}/health/kv")
}

/// `GET /<service>/health/kv` (internal key): reads the probe key of the
/// store labelled `label`, writes it again when the last write is a second
/// old ([`PROBE_WRITE_INTERVAL_MS`]), and answers the same report as
/// health, `503` when the store fails. It may wait as long as the store
/// does; health bounds that wait.
pub fn probe(context: &RequestContext, request: &Request, label: &str) -> HandlerResult {
    require_internal_key(context, request)?;
    let now_ms = SystemClock.now().unix_millis();
    let kv = SpinStore::open(label).and_then(|store| {
        if write_due(store.get(PROBE_KEY)?.as_deref(), now_ms) {
            // The time, which differs from the value stored: SQLite skips
            // writing a value equal to the stored one, and so would prove
            // nothing.
            store.set(PROBE_KEY, now_ms.to_string().as_bytes())?;
        }
        Ok(())
    });
    if let Err(cause) = &kv {
        context.log(
            "store_probe_failed",
            serde_json::json!({"cause": cause.to_string()}),
        );
    }
    Ok(report(context).check("kv", kv).into_response())
}

fn report(context: &RequestContext) -> HealthReport {
    HealthReport::new(context.service.name, context.service.version)
}

/// Whether the probe key, as read, asks for a write at `now_ms`: when it is
/// missing, not a time (an older version's value), or a second away from
/// now either way (a clock that moved back must not stop the writes).
fn write_due(last_write: Option<&[u8]>, now_ms: i64) -> bool {
    let written_ms = last_write
        .and_then(|bytes| std::str::from_utf8(bytes).ok())
        .and_then(|text| text.parse::<i64>().ok());
    written_ms.is_none_or(|written| now_ms.abs_diff(written) >= PROBE_WRITE_INTERVAL_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_writes_when_the_last_write_is_a_second_away_or_unknown() {
        let now = 1_800_000_000_000_i64;
        let written = |ms: i64| ms.to_string().into_bytes();
        assert!(write_due(None, now));
        assert!(write_due(Some(b"8d5c2f0e-not-a-time"), now));
        assert!(!write_due(Some(&written(now)), now));
        assert!(!write_due(Some(&written(now - 999)), now));
        assert!(write_due(Some(&written(now - 1000)), now));
        assert!(!write_due(Some(&written(now + 999)), now));
        assert!(write_due(Some(&written(now + 60_000)), now));
        assert!(write_due(Some(&written(i64::MIN)), now));
    }
}
