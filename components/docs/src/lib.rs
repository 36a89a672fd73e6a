//! The docs component: `GET /docs` serves Swagger UI showing the OpenAPI
//! documents of auth, analytics and notification, with every asset served
//! from `/docs/...` by this component (no CDN), and every path outside the
//! services' prefixes gets the contract's 404 from it. It has no domain,
//! store or API of its own, so of the services' shape it keeps the wiring
//! and the routes.

mod assets;
mod page;
mod routes;

use routes::files;
use spin_edge::{Routes, Service};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};

const SERVICE: Service = Service {
    name: "docs",
    version: env!("CARGO_PKG_VERSION"),
};

#[spin_sdk::http_component]
fn handle(request: IncomingRequest, response: ResponseOutparam) {
    Routes::new(SERVICE)
        .get("/docs", files::page)
        .get("/docs/", files::page)
        .get("/docs/docs.js", files::initializer)
        .get(
            concat!("/docs/swagger-ui-", env!("SWAGGER_UI_VERSION"), "/:file"),
            files::vendor_file,
        )
        .serve(request, response)
}
