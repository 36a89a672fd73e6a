//! The domain service built from Spin's parts: the `auth` store, argon2id
//! at the production parameters, the wall clock, the variables and HTTP
//! delivery to the peers; and the bearer token a request presents.

use auth_domain::{AfterResponse, Argon2Hasher, AuthService, Settings};
use domain_core::SystemClock;
use spin_edge::credentials::bearer_token;
use spin_edge::params::header;
use spin_edge::serve::RequestContext;
use spin_edge::{ApiError, SpinStore, config};
use spin_sdk::http::Request;

use crate::outbound::HttpDelivery;

/// The key-value store label, as declared in spin.toml.
pub const STORE: &str = "auth";

const DEFAULT_TOKEN_TTL_SECONDS: i64 = 3600;
/// A year. Far beyond any sensible session, and far inside what the clock's
/// arithmetic can add to now: a larger value is taken for a slip.
const MAX_TOKEN_TTL_SECONDS: i64 = 365 * 24 * 3600;

pub type Auth = AuthService<SpinStore, Argon2Hasher, SystemClock, HttpDelivery>;

/// The service for reads (`me`, dead letters): no variables read.
pub fn auth(context: &RequestContext) -> Result<Auth, ApiError> {
    open(context, Settings::default())
}

/// The service for paths that write: with the configured token lifetime
/// (a value that is not one refuses the write) and the key of pseudonymous
/// user ids.
pub fn auth_for_writes(context: &RequestContext) -> Result<Auth, ApiError> {
    let settings = Settings {
        token_ttl_seconds: token_ttl_seconds()?,
        secret_key: secret_key(context),
        ..Settings::default()
    };
    open(context, settings)
}

fn open(context: &RequestContext, settings: Settings) -> Result<Auth, ApiError> {
    Ok(AuthService::new(
        SpinStore::open(STORE)?,
        Argon2Hasher::production(),
        SystemClock,
        HttpDelivery::new(context.clone()),
        settings,
    ))
}

/// Runs an operation that writes, and delivers what it staged once the
/// response is sent: the entries are already stored, so the client waits
/// for none of it.
pub fn write<T, E: Into<ApiError>>(
    context: &RequestContext,
    operation: impl FnOnce(&Auth) -> (Result<T, E>, AfterResponse),
) -> Result<T, ApiError> {
    let auth = auth_for_writes(context)?;
    let (result, after) = operation(&auth);
    context.after_response(move || auth.settle(after));
    result.map_err(Into::into)
}

/// The request's bearer token, or the 401 that says it is missing.
pub fn bearer(request: &Request) -> Result<&str, ApiError> {
    bearer_token(header(request, "authorization")).ok_or_else(ApiError::unauthorized_bearer)
}

/// `token_ttl_seconds`, a whole number of seconds from 1 to a year, or the
/// default when it is unset or blank. Anything else is a 500 with the cause
/// in the log, as when the provider cannot say: a lifetime an operator
/// shortened for safety and then mistyped must not become the longer
/// default.
fn token_ttl_seconds() -> Result<i64, ApiError> {
    let Some(raw) = config::variable("token_ttl_seconds")?.filter(|raw| !raw.trim().is_empty())
    else {
        return Ok(DEFAULT_TOKEN_TTL_SECONDS);
    };
    parse_token_ttl(&raw).ok_or_else(|| {
        ApiError::unexpected(format!(
            "the variable token_ttl_seconds is {raw:?}, not a whole number of seconds from 1 to {MAX_TOKEN_TTL_SECONDS}"
        ))
    })
}

fn parse_token_ttl(raw: &str) -> Option<i64> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|seconds| (1..=MAX_TOKEN_TTL_SECONDS).contains(seconds))
}

/// The internal key keys the ids auth derives: secret, and the same on every
/// instance. Without it (a deployment that cannot deliver anything either)
/// those ids are still stable, only not secret; that is logged.
fn secret_key(context: &RequestContext) -> Vec<u8> {
    match config::required_variable("internal_api_key") {
        Ok(key) => key.into_bytes(),
        Err(_) => {
            context.log(
                "config_invalid",
                serde_json::json!({"variable": "internal_api_key", "effect": "derived ids are not keyed"}),
            );
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lifetimes_from_a_second_to_a_year_are_taken() {
        assert_eq!(parse_token_ttl("1"), Some(1));
        assert_eq!(parse_token_ttl(" 3600 "), Some(3600));
        assert_eq!(parse_token_ttl("31536000"), Some(MAX_TOKEN_TTL_SECONDS));
    }

    #[test]
    fn other_token_lifetimes_are_refused() {
        // 10^13 s would overflow the clock's arithmetic at the first login.
        for raw in ["0", "-5", "31536001", "10000000000000", "1h", "1.5", ""] {
            assert_eq!(parse_token_ttl(raw), None, "{raw:?}");
        }
    }
}
