//! What every service's OpenAPI document shares: the error shape, the two
//! security schemes, and serving the document.

use crate::serve::HandlerResult;
use service_kit::HttpResponse;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, ToSchema};

/// Name of the bearer-token scheme in every document.
pub const BEARER: &str = "bearer";
/// Name of the internal-key scheme in every document.
pub const INTERNAL_KEY: &str = "internal_key";

/// The contract's error body.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorResponse {
    error: ErrorObject,
    /// The request's `X-Request-Id`.
    request_id: String,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct ErrorObject {
    /// Machine-readable, snake_case (e.g. `validation_failed`).
    code: String,
    /// For humans.
    message: String,
    /// One entry per bad field, where that helps.
    details: Option<Vec<FieldDetail>>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct FieldDetail {
    field: String,
    message: String,
}

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

/// Serves a document as `application/json`.
pub fn serve_document(document: &OpenApi) -> HandlerResult {
    let json = document
        .to_json()
        .map_err(|_| service_kit::ApiError::internal())?;
    Ok(HttpResponse {
        status: 200,
        headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        body: json.into_bytes(),
    })
}
