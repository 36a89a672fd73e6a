//! `GET /analytics/openapi.json`: the service's OpenAPI 3 document.

use crate::{routes, wire};
use spin_edge::ErrorResponse;
use spin_edge::openapi::{SecuritySchemes, UnreadBodyErrors, document_health, serve_document};
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_sdk::http::{Params, Request};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Analytics service",
        description = "Records user events exactly once per `event_id` and serves counts per action. \
            Errors share one shape (`ErrorResponse`). Unknown paths under `/analytics` get `404 not_found`; \
            a known path with another method gets `405 method_not_allowed` with `Allow`. \
            Every response carries `X-Request-Id`. At most 1000 distinct action names are tracked. \
            Bearer tokens may not record the system's own actions, and may introduce few new action names \
            (see `POST /analytics/events`)."
    ),
    paths(
        routes::events::record,
        routes::metrics::actions,
        routes::metrics::user_actions,
        document,
    ),
    components(schemas(
        ErrorResponse,
        wire::EventBody,
        wire::EventAccepted,
        wire::EventStatus,
        wire::ActionMetrics,
        wire::UserActionMetrics,
    )),
    modifiers(&SecuritySchemes),
    tags(
        (name = "events", description = "Recording events."),
        (name = "metrics", description = "Counts per action."),
        (name = "health", description = "Liveness of the service and its store."),
        (name = "docs", description = "This document."),
    )
)]
struct ApiDoc;

/// The whole document: the operations above and the health routes.
fn openapi() -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    document_health(&mut document, "analytics");
    document
}

/// This document.
#[utoipa::path(
    get,
    path = "/analytics/openapi.json",
    tag = "docs",
    security(()),
    responses((status = 200, description = "The OpenAPI 3 document.", content_type = "application/json"), UnreadBodyErrors)
)]
pub fn document(_: &RequestContext, _: Request, _: Params) -> HandlerResult {
    serve_document(&openapi())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use spin_edge::openapi::differences_from_contract;

    fn document() -> Value {
        serde_json::from_str(&openapi().to_json().unwrap()).unwrap()
    }

    #[test]
    fn every_operation_lists_the_contracts_status_codes() {
        let expected: [(&str, &str, &[&str]); 6] = [
            (
                "/analytics/events",
                "post",
                &[
                    "200", "202", "400", "401", "403", "408", "409", "413", "415", "422", "500",
                    "503",
                ],
            ),
            (
                "/analytics/metrics/actions",
                "get",
                &["200", "400", "408", "413", "415", "500"],
            ),
            (
                "/analytics/metrics/user/{user_id}/actions",
                "get",
                &[
                    "200", "400", "401", "403", "408", "413", "415", "422", "500", "503",
                ],
            ),
            (
                "/analytics/health",
                "get",
                &["200", "400", "408", "413", "415", "503"],
            ),
            (
                "/analytics/health/kv",
                "get",
                &[
                    "200", "400", "401", "403", "408", "413", "415", "500", "503",
                ],
            ),
            (
                "/analytics/openapi.json",
                "get",
                &["200", "400", "408", "413", "415"],
            ),
        ];
        assert_eq!(
            differences_from_contract(&openapi(), &expected),
            Vec::<String>::new()
        );
    }

    #[test]
    fn both_security_schemes_and_the_error_shape_are_declared() {
        let doc = document();
        let components = &doc["components"];
        assert_eq!(components["securitySchemes"]["bearer"]["scheme"], "bearer");
        assert_eq!(
            components["securitySchemes"]["internal_key"]["name"],
            "X-Internal-Key"
        );
        assert!(components["schemas"]["ErrorResponse"].is_object());
        let events = &doc["paths"]["/analytics/events"]["post"];
        assert_eq!(
            events["security"],
            serde_json::json!([{"internal_key": []}, {"bearer": []}])
        );
        assert_eq!(
            events["responses"]["422"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorResponse"
        );
        let metrics = &doc["paths"]["/analytics/metrics/actions"]["get"];
        assert_eq!(metrics["security"], serde_json::json!([{}]));
    }

    #[test]
    fn the_event_body_is_documented_as_it_is_read() {
        let doc = document();
        let body = &doc["components"]["schemas"]["EventBody"];
        assert_eq!(body["required"], serde_json::json!(["action"]));
        let mut names: Vec<_> = body["properties"].as_object().unwrap().keys().collect();
        names.sort();
        assert_eq!(
            names,
            ["action", "event_id", "metadata", "timestamp", "user_id"]
        );
    }
}
