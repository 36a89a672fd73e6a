//! The auth component: Spin's entry point and the route table. It answers
//! through the response outparam so that it can deliver the request's side
//! effects (already stored in the outbox) after the answer is sent.

mod openapi;
mod outbound;
mod routes;
mod service;
mod wire;

use routes::{outbox, tokens, users};
use spin_edge::{Routes, Service};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};

const SERVICE: Service = Service {
    name: "auth",
    version: env!("CARGO_PKG_VERSION"),
};

#[spin_sdk::http_component]
fn handle(request: IncomingRequest, response: ResponseOutparam) {
    Routes::new(SERVICE)
        .post("/auth/register", users::register)
        .get("/auth/me", users::me)
        .post("/auth/login", tokens::login)
        .post("/auth/logout", tokens::logout)
        .post("/auth/outbox/flush", outbox::flush)
        .get("/auth/outbox/dead-letters", outbox::dead_letters)
        .post("/auth/outbox/dead-letters/:number/replay", outbox::replay)
        .get("/auth/openapi.json", openapi::document)
        .with_health(service::STORE)
        .serve(request, response)
}
