//! `GET /auth/openapi.json`.

use spin_edge::ErrorResponse;
use spin_edge::openapi::{SecuritySchemes, serve_document};
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_sdk::http::{Params, Request};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Auth service",
        description = "Registration, login with throttling, bearer tokens. Side effects \
            (analytics events, notifications) are stored in the auth store before the answer, \
            delivered after it at least once, each with a stable id; they never fail or slow \
            a request. Only a receiver's `400`/`422` ends one unsent, into a dead-letter list \
            operators can read and replay.",
    ),
    paths(
        super::register::register,
        super::login::login,
        super::logout::logout,
        super::me::me,
        super::outbox::flush,
        super::dead_letters::list,
        super::dead_letters::replay,
        super::health::health,
        super::health::probe,
        document,
    ),
    components(schemas(ErrorResponse)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Accounts and bearer tokens."),
        (name = "operations", description = "For operators and other services (`X-Internal-Key`)."),
        (name = "health", description = "Liveness and the OpenAPI document."),
    )
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(
    get,
    path = "/auth/openapi.json",
    tag = "health",
    responses((status = 200, description = "The OpenAPI 3 document of the auth service."))
)]
pub fn document(_: &RequestContext, _: Request, _: Params) -> HandlerResult {
    serve_document(&ApiDoc::openapi())
}
