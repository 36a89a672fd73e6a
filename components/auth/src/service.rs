//! The domain service built from Spin's parts: the `auth` store, argon2id
//! at the production parameters, the wall clock, the variables and HTTP
//! delivery to the peers; and the bearer token a request presents.

use auth_domain::{AfterResponse, Argon2Hasher, AuthService, Settings, TokenLifetime};
use domain_core::SystemClock;
use spin_edge::credentials::bearer_token;
use spin_edge::params::header;
use spin_edge::pause::MonotonicPause;
use spin_edge::serve::RequestContext;
use spin_edge::{ApiError, SpinStore, config};
use spin_sdk::http::Request;

use crate::outbound::HttpDelivery;

/// The key-value store label, as declared in spin.toml.
pub const STORE: &str = "auth";

pub type Auth = AuthService<SpinStore, Argon2Hasher, SystemClock, MonotonicPause, HttpDelivery>;

/// The service for paths that need neither the token lifetime nor the key
/// of pseudonymous ids (`me`, the dead letters and their replay): no
/// variables read.
pub fn auth(context: &RequestContext) -> Result<Auth, ApiError> {
    open(context, Settings::default())
}

/// The service for paths that write: with the key of pseudonymous user ids.
pub fn auth_for_writes(context: &RequestContext) -> Result<Auth, ApiError> {
    open(context, write_settings(context))
}

/// What every write needs beyond the store: the key of the ids auth
/// derives (a logout's event id, a failed login's pseudonymous user).
pub fn write_settings(context: &RequestContext) -> Settings {
    Settings {
        secret_key: secret_key(context),
        ..Settings::default()
    }
}

/// What a login needs too: the configured token lifetime. A value that is
/// not one refuses the login, and only the login: the other writes, the
/// outbox's relay among them, do not depend on it.
pub fn login_settings(context: &RequestContext) -> Result<Settings, ApiError> {
    Ok(Settings {
        token_lifetime: token_lifetime()?,
        ..write_settings(context)
    })
}

fn open(context: &RequestContext, settings: Settings) -> Result<Auth, ApiError> {
    Ok(AuthService::new(
        SpinStore::open(STORE)?,
        Argon2Hasher::production(),
        SystemClock,
        MonotonicPause,
        HttpDelivery::new(context.clone()),
        settings,
    ))
}

/// Runs an operation that writes, and delivers what it staged once the
/// response is sent: the entries are already stored, so the client waits
/// for none of it.
pub fn write<T, E: Into<ApiError>>(
    context: &RequestContext,
    settings: Settings,
    operation: impl FnOnce(&Auth) -> (Result<T, E>, AfterResponse),
) -> Result<T, ApiError> {
    let auth = open(context, settings)?;
    let (result, after) = operation(&auth);
    context.after_response(move || auth.settle(after));
    result.map_err(Into::into)
}

/// The request's bearer token, or the 401 that says it is missing.
pub fn bearer(request: &Request) -> Result<&str, ApiError> {
    bearer_token(header(request, "authorization")).ok_or_else(ApiError::unauthorized_bearer)
}

/// `token_ttl_seconds`, or the default when it is unset or blank. A value
/// that is not a lifetime is a 500 with the cause in the log, as when the
/// provider cannot say: a lifetime an operator shortened for safety and
/// then mistyped must not become the longer default.
fn token_lifetime() -> Result<TokenLifetime, ApiError> {
    match config::variable("token_ttl_seconds")? {
        Some(raw) if !raw.trim().is_empty() => TokenLifetime::parse(&raw).map_err(|invalid| {
            ApiError::unexpected(format!("the variable token_ttl_seconds: {invalid}"))
        }),
        _ => Ok(TokenLifetime::DEFAULT),
    }
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
