//! The notification component: Spin's edge around `notification-domain`.

mod channels;
mod pause;
mod routes;
mod service;
mod wire;

use spin_edge::Service;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};

pub(crate) const SERVICE: Service = Service {
    name: "notification",
    version: env!("CARGO_PKG_VERSION"),
};

/// The key-value store label in spin.toml.
pub(crate) const STORE: &str = "notification";

#[spin_sdk::http_component]
fn handle(request: IncomingRequest, response: ResponseOutparam) {
    routes::routes().serve(request, response)
}
