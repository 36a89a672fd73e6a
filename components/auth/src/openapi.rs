//! The auth service's OpenAPI document, served at `GET /auth/openapi.json`.

use spin_edge::ErrorResponse;
use spin_edge::openapi::{SecuritySchemes, UnreadBodyErrors, document_health, serve_document};
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_sdk::http::{Params, Request};
use utoipa::OpenApi;

use crate::routes::{outbox, tokens, users};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Auth service",
        description = "Registration, login with throttling, bearer tokens. Side effects \
            (analytics events, notifications) are stored in the auth store before the answer, \
            delivered after it at least once, each with a stable id; they never fail or slow \
            a request. Only a receiver's `400`/`422` ends one unsent, into a dead-letter list \
            operators can read and replay. Errors share one shape (`ErrorResponse`). Unknown \
            paths under `/auth` get `404 not_found`; a known path with another method gets \
            `405 method_not_allowed` with `Allow`. Every response carries `X-Request-Id`.",
    ),
    paths(
        users::register,
        tokens::login,
        tokens::logout,
        users::me,
        outbox::flush,
        outbox::dead_letters,
        outbox::replay,
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
struct ApiDoc;

/// The whole document: the operations above and the health routes.
fn api_doc() -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    document_health(&mut document, "auth");
    document
}

/// This document.
#[utoipa::path(
    get,
    path = "/auth/openapi.json",
    tag = "health",
    responses((status = 200, description = "The OpenAPI 3 document of the auth service."), UnreadBodyErrors)
)]
pub fn document(_: &RequestContext, _: Request, _: Params) -> HandlerResult {
    serve_document(&api_doc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use spin_edge::openapi::differences_from_contract;

    fn document() -> Value {
        serde_json::from_str(&api_doc().to_json().unwrap()).unwrap()
    }

    #[test]
    fn every_operation_lists_the_contracts_status_codes() {
        let expected: [(&str, &str, &[&str]); 10] = [
            (
                "/auth/register",
                "post",
                &["201", "400", "408", "409", "413", "415", "422", "500"],
            ),
            (
                "/auth/login",
                "post",
                &[
                    "200", "400", "401", "408", "413", "415", "422", "429", "500",
                ],
            ),
            (
                "/auth/logout",
                "post",
                &["204", "400", "401", "408", "413", "415", "500"],
            ),
            (
                "/auth/me",
                "get",
                &["200", "400", "401", "408", "413", "415", "500"],
            ),
            (
                "/auth/outbox/flush",
                "post",
                &[
                    "200", "400", "401", "403", "408", "413", "415", "500", "503",
                ],
            ),
            (
                "/auth/outbox/dead-letters",
                "get",
                &[
                    "200", "400", "401", "403", "408", "413", "415", "422", "500", "503",
                ],
            ),
            (
                "/auth/outbox/dead-letters/{number}/replay",
                "post",
                &[
                    "202", "400", "401", "403", "404", "408", "413", "415", "422", "500", "503",
                ],
            ),
            (
                "/auth/health",
                "get",
                &["200", "400", "408", "413", "415", "503"],
            ),
            (
                "/auth/health/kv",
                "get",
                &[
                    "200", "400", "401", "403", "408", "413", "415", "500", "503",
                ],
            ),
            (
                "/auth/openapi.json",
                "get",
                &["200", "400", "408", "413", "415"],
            ),
        ];
        assert_eq!(
            differences_from_contract(&api_doc(), &expected),
            Vec::<String>::new()
        );
    }

    #[test]
    fn request_bodies_are_the_types_handlers_read() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        let register = &schemas["RegisterRequest"];
        assert_eq!(register["required"], json!(["username", "password"]));
        assert_eq!(register["properties"]["username"]["type"], "string");
        assert_eq!(register["properties"]["password"]["minLength"], 8);
        assert_eq!(register["properties"]["email"]["maxLength"], 254);
        let login = &schemas["LoginRequest"];
        assert_eq!(login["required"], json!(["username", "password"]));
        let body = &doc["paths"]["/auth/register"]["post"]["requestBody"];
        assert_eq!(
            body["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/RegisterRequest"
        );
        assert!(schemas["HealthReport"].is_object());
        // Sent as `null` when absent, so always there.
        assert_eq!(
            schemas["UserResponse"]["required"],
            json!(["user_id", "username", "email", "created_at"])
        );
    }

    #[test]
    fn credentials_are_declared_where_they_are_taken() {
        let doc = document();
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["bearer"]["scheme"], "bearer");
        assert_eq!(schemes["internal_key"]["name"], "X-Internal-Key");
        for (path, method, scheme) in [
            ("/auth/me", "get", "bearer"),
            ("/auth/logout", "post", "bearer"),
            ("/auth/outbox/flush", "post", "internal_key"),
            ("/auth/outbox/dead-letters", "get", "internal_key"),
        ] {
            assert_eq!(
                doc["paths"][path][method]["security"],
                json!([{ scheme: [] }]),
                "{method} {path}"
            );
        }
        let throttled = &doc["paths"]["/auth/login"]["post"]["responses"]["429"];
        assert!(throttled["headers"]["Retry-After"].is_object());
    }
}
