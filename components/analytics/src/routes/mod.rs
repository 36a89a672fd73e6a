//! One module per resource; this one wires them to their paths and holds
//! what every handler needs: the caller and the service over the store.

mod events;
mod health;
mod metrics;
pub mod openapi;

use analytics_domain::{Analytics, Sender, UserId};
use domain_core::SystemClock;
use spin_edge::ApiError;
use spin_edge::serve::RequestContext;
use spin_edge::{Caller, Routes, Service, SpinStore};
use spin_sdk::http::Request;

const SERVICE: Service = Service {
    name: "analytics",
    version: env!("CARGO_PKG_VERSION"),
};

/// The key-value store label, as declared in spin.toml.
const STORE: &str = "analytics";

pub fn routes() -> Routes {
    Routes::new(SERVICE)
        .post("/analytics/events", events::record)
        .get("/analytics/metrics/actions", metrics::actions)
        .get(
            "/analytics/metrics/user/:user_id/actions",
            metrics::user_actions,
        )
        .get("/analytics/health", health::health)
        .get("/analytics/health/kv", health::probe)
        .get("/analytics/openapi.json", openapi::document)
}

fn analytics(context: &RequestContext) -> Result<Analytics<SpinStore, SystemClock>, ApiError> {
    let store = SpinStore::open(STORE).map_err(|error| ApiError::unexpected(error))?;
    Ok(Analytics::new(store, SystemClock))
}

/// The internal key, or a bearer token the auth service vouches for.
fn sender(context: &RequestContext, request: &Request) -> Result<Sender, ApiError> {
    match spin_edge::authenticate(context, request)? {
        Caller::Internal => Ok(Sender::Service),
        Caller::User(user_id) => UserId::parse(user_id.to_string())
            .map(Sender::User)
            .map_err(|error| {
                ApiError::unexpected(format!("auth vouched for a bad user id: {error}"))
            }),
    }
}
