//! The docs component: `GET /docs` serves Swagger UI showing the OpenAPI
//! documents of auth, analytics and notification, with every asset served
//! from `/docs/...` by this component (no CDN).

mod assets;
mod page;
mod routes;

use spin_sdk::http::{Request, Response};

#[spin_sdk::http_component]
fn handle(request: Request) -> Response {
    routes::routes().serve(request)
}
