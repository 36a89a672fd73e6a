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
//! (`http://<service>.spin.internal` by default, Spin's in-process chaining;
//! the service's own address when services run as separate apps).

use crate::caller::{INTERNAL_KEY_HEADER, require_internal_key};
use crate::config;
use crate::health_report::HealthReport;
use crate::kv::SpinStore;
use crate::outbound::{self, Deadline, OutboundRequest};
use crate::request_id;
use crate::serve::{HandlerResult, RequestContext};
use domain_core::KeyValueStore;
use spin_sdk::http::Request;
use std::time::Duration;

/// Key the probe writes: a write proves the store answers and accepts
/// changes (a store that only reads, such as a SQLite file that cannot be
/// written, fails every request that counts or claims).
const PROBE_KEY: &str = "health:probe";

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

/// Where a service's store probe lives.
pub fn probe_path(service: &str) -> String {
    format!("/{service}/health/kv")
}

/// `GET /<service>/health/kv` (internal key): writes to the store labelled
/// `label` (one small key, overwritten each time with a new UUID) and answers the same
/// report as health, `503` when the store fails. It may wait as long as the
/// store does; health bounds that wait.
pub fn probe(context: &RequestContext, request: &Request, label: &str) -> HandlerResult {
    require_internal_key(request)?;
    // A new value each time: SQLite skips writing a value equal to the
    // stored one, and so would prove nothing.
    let value = request_id::RequestId::generate().to_string();
    let kv = SpinStore::open(label).and_then(|store| store.set(PROBE_KEY, value.as_bytes()));
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
