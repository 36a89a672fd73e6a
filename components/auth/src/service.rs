//! The domain service wired to Spin: the `auth` store, argon2id at the
//! production parameters, the wall clock and HTTP delivery.

use auth_domain::{Argon2Hasher, AuthService, Settings};
use service_kit::{ApiError, SystemClock};
use spin_kit::serve::RequestContext;
use spin_kit::{SpinStore, config};

use crate::outbound::HttpDelivery;

/// The key-value store label, as declared in spin.toml.
pub const STORE: &str = "auth";

const DEFAULT_TOKEN_TTL_SECONDS: i64 = 3600;

pub type Auth = AuthService<SpinStore, Argon2Hasher, SystemClock, HttpDelivery>;

pub fn auth(context: &RequestContext) -> Result<Auth, ApiError> {
    let store = SpinStore::open(STORE).map_err(|error| context.internal(error))?;
    let settings = Settings {
        token_ttl_seconds: token_ttl_seconds(context),
        ..Settings::default()
    };
    Ok(AuthService::new(
        store,
        Argon2Hasher::production(),
        SystemClock,
        HttpDelivery::new(context.clone()),
        settings,
    ))
}

/// `token_ttl_seconds`, a positive whole number; anything else is an
/// operator's slip, logged, and the default applies.
fn token_ttl_seconds(context: &RequestContext) -> i64 {
    let Some(raw) = config::variable("token_ttl_seconds").filter(|raw| !raw.trim().is_empty())
    else {
        return DEFAULT_TOKEN_TTL_SECONDS;
    };
    match raw.trim().parse::<i64>() {
        Ok(seconds) if seconds > 0 => seconds,
        _ => {
            context.log(
                "config_invalid",
                serde_json::json!({"variable": "token_ttl_seconds", "using": DEFAULT_TOKEN_TTL_SECONDS}),
            );
            DEFAULT_TOKEN_TTL_SECONDS
        }
    }
}
