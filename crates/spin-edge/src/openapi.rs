//! What every service's OpenAPI document shares: the error shape, the two
//! security schemes, the error answers common to many operations (each
//! written once, as the edge gives them), and serving the document.

use crate::error::ErrorResponse;
use crate::health_report::HealthReport;
use crate::response::HttpResponse;
use crate::serve::HandlerResult;
use std::collections::BTreeMap;
use utoipa::openapi::path::{HttpMethod, Operation, OperationBuilder};
use utoipa::openapi::schema::OneOfBuilder;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder, Schema};
use utoipa::{IntoResponses, Modify, PartialSchema, ToSchema};

/// Name of the bearer-token scheme in every document.
pub const BEARER: &str = "bearer";
/// Name of the internal-key scheme in every document.
pub const INTERNAL_KEY: &str = "internal_key";

/// Adds the bearer and internal-key security schemes; use with
/// `#[openapi(modifiers(&SecuritySchemes), components(schemas(ErrorResponse)))]`.
pub struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("UUID token from POST /auth/login")
                    .build(),
            ),
        );
        components.add_security_scheme(
            INTERNAL_KEY,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Internal-Key",
                "Service credential: the application variable internal_api_key.",
            ))),
        );
    }
}

/// How a JSON body can fail before its fields are read (`422` for bad
/// fields is each operation's own).
#[derive(IntoResponses)]
pub enum BodyErrors {
    #[response(
        status = 400,
        description = "`invalid_json`: the body is not JSON; `unreadable_body`: it could not be read."
    )]
    InvalidJson(ErrorResponse),
    #[response(
        status = 408,
        description = "`request_timeout`: the body did not arrive within 10 s."
    )]
    RequestTimeout(ErrorResponse),
    #[response(
        status = 413,
        description = "`payload_too_large`: the body is over 64 KiB."
    )]
    PayloadTooLarge(ErrorResponse),
    #[response(
        status = 415,
        description = "`unsupported_media_type`: the body is not `application/json`."
    )]
    UnsupportedMediaType(ErrorResponse),
}

/// What a request to an operation that reads no body can still get: the
/// pipeline reads every body, within its limit, before routing, and holds
/// it to the contract's media rule.
#[derive(IntoResponses)]
pub enum UnreadBodyErrors {
    #[response(
        status = 400,
        description = "`unreadable_body`: the body could not be read."
    )]
    Unreadable(ErrorResponse),
    #[response(
        status = 408,
        description = "`request_timeout`: the body did not arrive within 10 s."
    )]
    RequestTimeout(ErrorResponse),
    #[response(
        status = 413,
        description = "`payload_too_large`: the body (which is not used) is over 64 KiB."
    )]
    PayloadTooLarge(ErrorResponse),
    #[response(
        status = 415,
        description = "`unsupported_media_type`: a body (which is not used) that is not `application/json`."
    )]
    UnsupportedMediaType(ErrorResponse),
}

/// How an operation that takes the internal key or a user's bearer token
/// refuses credentials.
#[derive(IntoResponses)]
pub enum CallerErrors {
    #[response(
        status = 401,
        description = "`unauthorized`: missing or invalid credentials.",
        headers(("www-authenticate" = String, description = "`Bearer`."))
    )]
    Unauthorized(ErrorResponse),
    #[response(
        status = 503,
        description = "`auth_unavailable`: a bearer token could not be verified right now."
    )]
    AuthUnavailable(ErrorResponse),
}

/// How an operation that takes only a user's bearer token refuses it.
#[derive(IntoResponses)]
pub enum BearerErrors {
    #[response(
        status = 401,
        description = "`unauthorized`: missing, unknown, expired or revoked token.",
        headers(("www-authenticate" = String, description = "`Bearer`."))
    )]
    Unauthorized(ErrorResponse),
}

/// How an operation that takes only the internal key refuses credentials;
/// with [`AuthUnavailable`] unless the operation documents a 503 of its own
/// that names it.
#[derive(IntoResponses)]
pub enum InternalKeyErrors {
    #[response(
        status = 401,
        description = "`unauthorized`: missing or wrong `X-Internal-Key`, or a bearer token auth does not vouch for."
    )]
    Unauthorized(ErrorResponse),
    #[response(
        status = 403,
        description = "`forbidden`: a user's valid bearer token, which does not reach this operation."
    )]
    Forbidden(ErrorResponse),
}

/// An internal-key operation's answer when a bearer token was sent instead
/// of the key and auth could not say whose it is.
#[derive(IntoResponses)]
pub enum AuthUnavailable {
    #[response(
        status = 503,
        description = "`auth_unavailable`: a bearer token sent instead of the key could not be verified right now."
    )]
    AuthUnavailable(ErrorResponse),
}

/// The answer to a failure that is no request's fault.
#[derive(IntoResponses)]
pub enum UnexpectedError {
    #[response(
        status = 500,
        description = "`internal_error`: an unexpected failure (e.g. the store); the cause is logged, never shown."
    )]
    Internal(ErrorResponse),
}

/// Documents the two routes [`crate::serve::Routes::with_health`] adds to
/// `service`, and the [`HealthReport`] they answer.
pub fn document_health(document: &mut OpenApi, service: &str) {
    document.paths.add_path_operation(
        crate::health::health_path(service),
        vec![HttpMethod::Get],
        health_operation(service),
    );
    document.paths.add_path_operation(
        crate::health::probe_path(service),
        vec![HttpMethod::Get],
        probe_operation(service),
    );
    document
        .components
        .get_or_insert_with(Default::default)
        .schemas
        .insert(HealthReport::name().into_owned(), HealthReport::schema());
}

/// `GET /<service>/health`.
fn health_operation(service: &str) -> Operation {
    let health = OperationBuilder::new()
        .tag("health")
        .summary(Some("Whether the service and its key-value store work."))
        .description(Some(
            "No credentials. Answers within 2 s whatever the store does: the store is checked by \
             the internal route `…/health/kv` in another instance, and a store that does not \
             answer within 1.2 s is a failed `kv` check (`503`).",
        ))
        .security(SecurityRequirement::default())
        .response("200", report_response("Every check passed.", service))
        .response(
            "503",
            report_response(
                "`status` is `unavailable`; the failing check says `failed`.",
                service,
            ),
        );
    with_unread_body_errors(health).build()
}

/// `GET /<service>/health/kv`, the store check behind health.
fn probe_operation(service: &str) -> Operation {
    let json = |schema: RefOr<Schema>| ContentBuilder::new().schema(Some(schema)).build();
    let mut probe = OperationBuilder::new()
        .tag("health")
        .summary(Some("The store check behind health (internal key)."))
        .description(Some(
            "Reads one small key of the service's key-value store, writes it again with the time \
             when its last write is a second old (so a store that cannot be written fails within \
             a second), and answers the health report. Health calls it in another instance and \
             waits at most 1.2 s, because a key-value call that hangs cannot be interrupted.",
        ))
        .security(SecurityRequirement::new(INTERNAL_KEY, Vec::<String>::new()))
        .response(
            "200",
            report_response(
                "The store answered the read, and the write when due.",
                service,
            ),
        )
        .response(
            "503",
            ResponseBuilder::new()
                .description(
                    "The store failed (a health report, `checks.kv` is `failed`), or a bearer \
                     token sent instead of the key could not be verified (`auth_unavailable`).",
                )
                .content(
                    "application/json",
                    json(
                        OneOfBuilder::new()
                            .item(Ref::from_schema_name(HealthReport::name()))
                            .item(Ref::from_schema_name(ErrorResponse::name()))
                            .into(),
                    ),
                )
                .build(),
        )
        .response(
            "500",
            ResponseBuilder::new()
                .description(
                    "`internal_error`: `internal_api_key` is not set, so no key can be checked.",
                )
                .content(
                    "application/json",
                    json(Ref::from_schema_name(ErrorResponse::name()).into()),
                )
                .build(),
        );
    for (status, refusal) in InternalKeyErrors::responses() {
        probe = probe.response(status, refusal);
    }
    with_unread_body_errors(probe).build()
}

/// A [`HealthReport`] answer, with an example naming `service`.
fn report_response(description: &str, service: &str) -> Response {
    let example = serde_json::json!({
        "status": "ok", "service": service,
        "version": env!("CARGO_PKG_VERSION"), "checks": {"kv": "ok"},
    });
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(HealthReport::name())))
        .example(Some(example))
        .build();
    ResponseBuilder::new()
        .description(description)
        .content("application/json", content)
        .build()
}

/// Adds what an operation that reads no body can still answer.
fn with_unread_body_errors(mut operation: OperationBuilder) -> OperationBuilder {
    for (status, response) in UnreadBodyErrors::responses() {
        operation = operation.response(status, response);
    }
    operation
}

/// Serves a document as `application/json`.
pub fn serve_document(document: &OpenApi) -> HandlerResult {
    let json = document.to_json().map_err(|error| {
        crate::error::ApiError::unexpected(format!("OpenAPI document: {error}"))
    })?;
    Ok(HttpResponse {
        status: 200,
        headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        body: json.into_bytes(),
    })
}

/// Where `document` departs from the contract's operations, one line each
/// (none: it documents exactly them). `expected` lists each operation as
/// `(path, method, status codes)`, the codes in ascending order; an
/// operation missing, one with other codes, and one the contract does not
/// have each make a line. The services' tests check their documents with it.
pub fn differences_from_contract(
    document: &OpenApi,
    expected: &[(&str, &str, &[&str])],
) -> Vec<String> {
    let json = serde_json::to_value(document).expect("an OpenAPI document serializes");
    let mut documented = BTreeMap::new();
    for (path, item) in json["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            let mut codes: Vec<String> = operation["responses"]
                .as_object()
                .map(|responses| responses.keys().cloned().collect())
                .unwrap_or_default();
            codes.sort();
            documented.insert((path.clone(), method.clone()), codes);
        }
    }
    let mut differences = Vec::new();
    for &(path, method, codes) in expected {
        match documented.remove(&(path.to_owned(), method.to_owned())) {
            None => differences.push(format!("{method} {path}: not documented")),
            Some(listed) if listed != codes => differences.push(format!(
                "{method} {path}: documents {listed:?}, the contract {codes:?}"
            )),
            Some(_) => {}
        }
    }
    differences.extend(
        documented
            .into_keys()
            .map(|(path, method)| format!("{method} {path}: not in the contract")),
    );
    differences
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::OpenApiBuilder;

    #[test]
    fn health_routes_are_documented_with_the_report() {
        let mut document = OpenApiBuilder::new().build();
        document_health(&mut document, "auth");
        let json: serde_json::Value = serde_json::from_str(&document.to_json().unwrap()).unwrap();
        let health = &json["paths"]["/auth/health"]["get"];
        assert_eq!(
            health["responses"]["503"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/HealthReport"
        );
        assert_eq!(health["security"], serde_json::json!([{}]));
        let probe = &json["paths"]["/auth/health/kv"]["get"];
        assert_eq!(probe["security"], serde_json::json!([{"internal_key": []}]));
        let answers = &probe["responses"]["503"]["content"]["application/json"]["schema"]["oneOf"];
        assert_eq!(
            answers,
            &serde_json::json!([
                {"$ref": "#/components/schemas/HealthReport"},
                {"$ref": "#/components/schemas/ErrorResponse"},
            ])
        );
        let forbidden = &probe["responses"]["403"]["description"];
        assert!(
            forbidden.as_str().unwrap().starts_with("`forbidden`"),
            "{forbidden}"
        );
        assert!(json["components"]["schemas"]["HealthReport"]["properties"]["checks"].is_object());
        let example = &health["responses"]["200"]["content"]["application/json"]["example"];
        assert_eq!(example["service"], "auth");
    }

    #[test]
    fn a_document_is_compared_with_the_contract_operation_by_operation() {
        let mut document = OpenApiBuilder::new().build();
        document_health(&mut document, "auth");
        let exact: [(&str, &str, &[&str]); 2] = [
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
        ];
        assert_eq!(
            differences_from_contract(&document, &exact),
            Vec::<String>::new()
        );
        let other: [(&str, &str, &[&str]); 2] = [
            ("/auth/health", "get", &["200"]),
            ("/auth/me", "get", &["200"]),
        ];
        assert_eq!(
            differences_from_contract(&document, &other),
            [
                r#"get /auth/health: documents ["200", "400", "408", "413", "415", "503"], the contract ["200"]"#,
                "get /auth/me: not documented",
                "get /auth/health/kv: not in the contract",
            ]
        );
    }
}
