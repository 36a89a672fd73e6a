//! The analytics component: Spin's entry point and the route table.

mod openapi;
mod routes;
mod service;
mod wire;

use spin_edge::{Routes, Service};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};

const SERVICE: Service = Service {
    name: "analytics",
    version: env!("CARGO_PKG_VERSION"),
};

#[spin_sdk::http_component]
fn handle(request: IncomingRequest, response: ResponseOutparam) {
    Routes::new(SERVICE)
        .post("/analytics/events", routes::events::record)
        .get("/analytics/metrics/actions", routes::metrics::actions)
        .get(
            "/analytics/metrics/user/:user_id/actions",
            routes::metrics::user_actions,
        )
        .get("/analytics/openapi.json", openapi::document)
        .with_health(service::STORE)
        .serve(request, response)
}
