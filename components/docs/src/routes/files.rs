//! `/docs`, `/docs/`, the initializer and Swagger UI's files.

use crate::{assets, page};
use spin_edge::{ApiError, HandlerResult, HttpResponse, RequestContext};
use spin_sdk::http::{Params, Request};

/// Swagger UI needs inline styles and `data:` images; everything else,
/// the documents and "Try it out" calls included, comes from this origin.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
    connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Vendor files change only with the version in their URL.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The page and the initializer change with each deployment.
const REVALIDATE: &str = "no-cache";

pub fn page(_: &RequestContext, request: Request, _: Params) -> HandlerResult {
    Ok(file(
        "text/html; charset=utf-8",
        REVALIDATE,
        page::html(request.path()).into_bytes(),
    )
    .with_header("content-security-policy", CONTENT_SECURITY_POLICY))
}

pub fn initializer(_: &RequestContext, _: Request, _: Params) -> HandlerResult {
    Ok(file(
        "text/javascript; charset=utf-8",
        REVALIDATE,
        page::INITIALIZER.as_bytes().to_vec(),
    ))
}

pub fn vendor_file(_: &RequestContext, _: Request, params: Params) -> HandlerResult {
    let asset = params
        .get("file")
        .and_then(assets::find)
        .ok_or_else(ApiError::not_found)?;
    Ok(file(asset.content_type, IMMUTABLE, asset.bytes.to_vec()))
}

fn file(content_type: &str, cache_control: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: Vec::new(),
        body,
    }
    .with_header("content-type", content_type)
    .with_header("cache-control", cache_control)
    .with_header("x-content-type-options", "nosniff")
}
