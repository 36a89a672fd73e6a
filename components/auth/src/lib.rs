//! The auth component: Spin's entry point over the routes in `routes`.

mod outbound;
mod routes;
mod service;

use spin_sdk::http::{Request, Response};

#[spin_sdk::http_component]
fn handle(request: Request) -> Response {
    routes::routes().serve(request)
}
