//! The auth component: Spin's entry point over the routes in `routes`. It
//! takes the response outparam so that it can answer first and deliver the
//! request's side effects (already stored in the outbox) afterwards.

mod outbound;
mod routes;
mod service;

use spin_sdk::http::{Request, ResponseOutparam};

#[spin_sdk::http_component]
async fn handle(request: Request, response_out: ResponseOutparam) {
    let response = routes::routes().serve(request);
    spin_kit::after_response::respond_then_run(response_out, response).await;
}
