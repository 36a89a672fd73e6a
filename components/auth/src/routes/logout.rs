//! `POST /auth/logout`.

use spin_edge::ErrorResponse;
use spin_edge::HttpResponse;
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_sdk::http::{Params, Request};

use crate::service::{auth_for_writes, settle_after_response};

/// Revokes the bearer token: from then on it gets `401` everywhere. No body
/// is read. Side effect: analytics event `logout`, once per token however
/// many logouts of it arrive at once (each gets `204`).
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
    let auth = auth_for_writes(context)?;
    let (result, after) = auth.logout(token);
    settle_after_response(context, auth, after);
    result
        .map(|()| HttpResponse::empty(204))
        .map_err(|error| super::token_error(context, error))
}
