//! `GET /auth/me`.

use spin_edge::ErrorResponse;
use spin_edge::HttpResponse;
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_sdk::http::{Params, Request};

use super::user::UserResponse;
use crate::service::auth;

/// The bearer token's user. The other services verify tokens here. Reads
/// only: no outbox work, whatever the token.
#[utoipa::path(
    get,
    path = "/auth/me",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The token's user.", body = UserResponse),
        (status = 401, description = "`unauthorized`: missing, unknown, expired or revoked token (with `WWW-Authenticate: Bearer`).", body = ErrorResponse),
        (status = 500, description = "`internal_error`.", body = ErrorResponse),
    )
)]
pub fn me(context: &RequestContext, request: Request, _: Params) -> HandlerResult {
    let token = super::bearer(&request)?;
    auth(context)?
        .me(token)
        .map(|profile| HttpResponse::json(200, &UserResponse::from(profile)))
        .map_err(|error| super::token_error(context, error))
}
