//! The notification component: Spin's edge around `notification-domain`.

mod channels;
mod openapi;
mod routes;
mod service;
mod wire;

use routes::{notifications, user_notifications};
use spin_edge::{Routes, Service};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};

const SERVICE: Service = Service {
    name: "notification",
    version: env!("CARGO_PKG_VERSION"),
};

/// The key-value store label in spin.toml.
const STORE: &str = "notification";

#[spin_sdk::http_component]
fn handle(request: IncomingRequest, response: ResponseOutparam) {
    Routes::new(SERVICE)
        .with_health(STORE)
        .get("/notification/openapi.json", openapi::document)
        .post("/notification/notify", notifications::notify)
        .get(
            "/notification/notifications/:notification_id",
            notifications::notification,
        )
        .get(
            "/notification/users/:user_id/notifications",
            user_notifications::user_notifications,
        )
        .serve(request, response)
}
