//! The analytics component: Spin's entry point over the routes in `routes`.

mod routes;
mod wire;

use spin_sdk::http::{Request, Response};

#[spin_sdk::http_component]
fn handle(request: Request) -> Response {
    routes::routes().serve(request)
}
