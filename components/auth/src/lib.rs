//! The auth component: Spin's entry point over the routes in `routes`. It
//! takes the response outparam so that it can answer first and deliver the
//! request's side effects (already stored in the outbox) afterwards.

mod outbound;
mod routes;
mod service;

use spin_sdk::http::{IncomingRequest, ResponseOutparam};

#[spin_sdk::http_component]
fn handle(request: IncomingRequest, response: ResponseOutparam) {
    routes::routes().serve(request, response)
}
