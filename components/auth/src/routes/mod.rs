//! One module per resource; this one wires them to their paths and holds
//! what several handlers share.

mod dead_letters;
mod health;
mod login;
mod logout;
mod me;
pub mod openapi;
mod outbox;
mod register;
mod user;

use auth_domain::{TokenError, Unexpected};
use spin_edge::ApiError;
use spin_edge::credentials::bearer_token;
use spin_edge::params::header;
use spin_edge::serve::RequestContext;
use spin_edge::{Routes, Service};
use spin_sdk::http::Request;

const SERVICE: Service = Service {
    name: "auth",
    version: env!("CARGO_PKG_VERSION"),
};

pub fn routes() -> Routes {
    Routes::new(SERVICE)
        .post("/auth/register", register::register)
        .post("/auth/login", login::login)
        .post("/auth/logout", logout::logout)
        .get("/auth/me", me::me)
        .post("/auth/outbox/flush", outbox::flush)
        .get("/auth/outbox/dead-letters", dead_letters::list)
        .post(
            "/auth/outbox/dead-letters/:number/replay",
            dead_letters::replay,
        )
        .get("/auth/health", health::health)
        .get("/auth/health/kv", health::probe)
        .get("/auth/openapi.json", openapi::document)
}

/// The bearer token, or the 401 that says it is missing.
fn bearer(request: &Request) -> Result<&str, ApiError> {
    bearer_token(header(request, "authorization")).ok_or_else(ApiError::unauthorized_bearer)
}

fn token_error(context: &RequestContext, error: TokenError) -> ApiError {
    match error {
        TokenError::Invalid => ApiError::unauthorized_bearer(),
        TokenError::Unexpected(cause) => unexpected(context, cause),
    }
}

fn unexpected(_: &RequestContext, cause: Unexpected) -> ApiError {
    ApiError::from(cause)
}
