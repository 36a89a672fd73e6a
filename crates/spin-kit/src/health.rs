//! The health endpoint every service serves.

use crate::kv::SpinStore;
use crate::serve::{HandlerResult, RequestContext};
use service_kit::KeyValueStore;
use service_kit::health::HealthReport;

/// Key read by the health check: reading it proves the store answers.
const PROBE_KEY: &str = "health:probe";

/// `200 ok`, or `503` naming the key-value check when the store `label`
/// cannot be opened or read.
pub fn health(context: &RequestContext, label: &str) -> HandlerResult {
    let kv = SpinStore::open(label).and_then(|store| store.get(PROBE_KEY).map(drop));
    if let Err(cause) = &kv {
        context.log(
            "health_check_failed",
            serde_json::json!({"check": "kv", "cause": cause.to_string()}),
        );
    }
    Ok(
        HealthReport::new(context.service.name, context.service.version)
            .check("kv", kv)
            .into_response(),
    )
}
