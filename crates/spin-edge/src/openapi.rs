//! What every service's OpenAPI document shares: the error shape, the two
//! security schemes, the error answers common to many operations (each
//! written once, as the edge gives them), and serving the document.

use crate::error::ErrorResponse;
use crate::response::HttpResponse;
use crate::serve::HandlerResult;
use utoipa::IntoResponses;
use utoipa::Modify;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

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
    #[response(status = 400, description = "`invalid_json`: the body is not JSON.")]
    InvalidJson(ErrorResponse),
    #[response(status = 413, description = "`payload_too_large`: the body is over 64 KiB.")]
    PayloadTooLarge(ErrorResponse),
    #[response(
        status = 415,
        description = "`unsupported_media_type`: the body is not `application/json`."
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
        headers(("www-authenticate" = String, description = "`Bearer`, unless a wrong internal key was sent."))
    )]
    Unauthorized(ErrorResponse),
    #[response(
        status = 503,
        description = "`auth_unavailable`: a bearer token could not be verified right now."
    )]
    AuthUnavailable(ErrorResponse),
}

/// How an operation that takes only the internal key refuses credentials.
#[derive(IntoResponses)]
pub enum InternalKeyErrors {
    #[response(
        status = 401,
        description = "`unauthorized`: missing or wrong `X-Internal-Key`."
    )]
    Unauthorized(ErrorResponse),
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

/// Serves a document as `application/json`.
pub fn serve_document(document: &OpenApi) -> HandlerResult {
    let json = document
        .to_json()
        .map_err(|error| crate::error::ApiError::unexpected(format!("OpenAPI document: {error}")))?;
    Ok(HttpResponse {
        status: 200,
        headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        body: json.into_bytes(),
    })
}
