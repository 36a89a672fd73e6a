//! The docs component: `GET /docs` serves Swagger UI showing the OpenAPI
//! documents of auth, analytics and notification, with every asset served
//! from `/docs/...` by this component (no CDN).

mod assets;
mod page;
mod routes;

use spin_sdk::http::{IncomingRequest, ResponseOutparam};

#[spin_sdk::http_component]
fn handle(request: IncomingRequest, response: ResponseOutparam) {
    routes::routes().serve(request, response)
}
