//! `POST /auth/logout`.

use service_kit::HttpResponse;
use spin_kit::openapi::ErrorResponse;
use spin_kit::serve::{HandlerResult, RequestContext};
use spin_sdk::http::{Params, Request};

use crate::service::auth;

/// Revokes the bearer token: from then on it gets `401` everywhere. No body
/// is read. Side effect: analytics event `logout`.
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out; the token is revoked."),
        (status = 401, description = "`unauthorized`: missing, unknown, expired or revoked token (with `WWW-Authenticate: Bearer`).", body = ErrorResponse),
        (status = 500, description = "`internal_error`.", body = ErrorResponse),
    )
)]
pub fn logout(context: &RequestContext, request: Request, _: Params) -> HandlerResult {
    let token = super::bearer(&request)?;
    auth(context)?
        .logout(token)
        .map(|()| HttpResponse::empty(204))
        .map_err(|error| super::token_error(context, error))
}
