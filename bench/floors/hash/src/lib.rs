//! Floor of register and login: one argon2id hash of a password with a fresh
//! salt, at the parameters the app uses (auth-domain's `hashing.rs`: OWASP's
//! minimum, m = 19 MiB, t = 2, p = 1). Login verifies and register hashes;
//! both cost one run of argon2id at these parameters. No store is touched.
//! The salt comes from getrandom, as the app's does.

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::http_component;

/// Keep in step with `PRODUCTION_*` in crates/auth-domain/src/hashing.rs.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

#[http_component]
fn handle(_request: Request) -> anyhow::Result<impl IntoResponse> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).map_err(anyhow::Error::msg)?;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(anyhow::Error::msg)?;
    let salt = SaltString::encode_b64(&salt).map_err(anyhow::Error::msg)?;
    let phc = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(b"correct horse battery staple", &salt)
        .map_err(anyhow::Error::msg)?
        .to_string();
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body(format!("{phc}\n"))
        .build())
}
