//! Password hashing: argon2id PHC strings at no less than OWASP's minimum
//! (m = 19 MiB, t = 2, p = 1).

use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier, Version};

use crate::password::Password;

/// The hashing port.
pub trait PasswordHasher {
    /// A PHC string for `password`, salted afresh. Returns
    /// [`HashingError`] only when the hasher itself fails.
    fn hash(&self, password: &Password) -> Result<String, HashingError>;

    /// Whether `password` matches `phc`. Returns [`HashingError`] when `phc`
    /// is not a hash this hasher can check (a corrupt record).
    fn verify(&self, password: &str, phc: &str) -> Result<bool, HashingError>;

    /// Spends what [`verify`](Self::verify) spends, against a hash no
    /// password matches on purpose, so an unknown user costs as much as a
    /// wrong password.
    fn verify_dummy(&self, password: &str);
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashingError(String);

impl From<argon2::password_hash::Error> for HashingError {
    fn from(error: argon2::password_hash::Error) -> Self {
        Self(error.to_string())
    }
}

impl From<getrandom::Error> for HashingError {
    fn from(error: getrandom::Error) -> Self {
        Self(error.to_string())
    }
}

/// OWASP's minimum for argon2id: 19 MiB, two passes, one lane.
const PRODUCTION_MEMORY_KIB: u32 = 19 * 1024;
const PRODUCTION_PASSES: u32 = 2;
const PRODUCTION_LANES: u32 = 1;

/// An argon2id hash of a random 32-byte password nobody kept, made once with
/// the production parameters. Spin starts a fresh instance per request, so
/// computing a dummy at start-up would add a second hash to every unknown
/// user's login: a constant costs nothing and verifies at the same price.
const DUMMY_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$bsn9xjcsJPt2tuYDDzyIqg$9EiE18QcJkf42tPskf9jFaF07Ojsl9vpua/aKDDRA34";

#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    params: Params,
    dummy: String,
}

impl Argon2Hasher {
    /// The parameters every deployment uses.
    pub fn production() -> Self {
        Self {
            params: Params::new(
                PRODUCTION_MEMORY_KIB,
                PRODUCTION_PASSES,
                PRODUCTION_LANES,
                None,
            )
            .expect("OWASP's parameters are valid"),
            dummy: DUMMY_PHC.to_owned(),
        }
    }

    /// Cheap parameters for native tests, where an unoptimised argon2 at
    /// 19 MiB would take seconds per hash. Its dummy hash is made here with
    /// the same parameters.
    pub fn cheap_for_tests() -> Self {
        let params =
            Params::new(Params::MIN_M_COST, 1, 1, None).expect("minimum parameters are valid");
        let dummy = hash_with(&params, uuid::Uuid::new_v4().as_bytes())
            .expect("hashing random bytes works");
        Self { params, dummy }
    }
}

fn argon2id(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_with(params: &Params, secret: &[u8]) -> Result<String, HashingError> {
    let salt = fresh_salt()?;
    Ok(argon2id(params).hash_password(secret, &salt)?.to_string())
}

/// 16 random bytes, the length argon2's own `SaltString::generate` uses.
fn fresh_salt() -> Result<SaltString, HashingError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(SaltString::encode_b64(&bytes)?)
}

impl PasswordHasher for Argon2Hasher {
    fn hash(&self, password: &Password) -> Result<String, HashingError> {
        hash_with(&self.params, password.expose().as_bytes())
    }

    fn verify(&self, password: &str, phc: &str) -> Result<bool, HashingError> {
        let parsed = PasswordHash::new(phc)?;
        // The stored hash names its own parameters; verifying with them keeps
        // old hashes working if the production parameters ever grow.
        match argon2id(&self.params).verify_password(password.as_bytes(), &parsed) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::Password) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    fn verify_dummy(&self, password: &str) {
        let _ = self.verify(password, &self.dummy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(text: &str) -> Password {
        Password::parse(text).unwrap()
    }

    #[test]
    fn production_parameters_are_at_least_owasps_minimum() {
        let hasher = Argon2Hasher::production();
        assert!(hasher.params.m_cost() >= 19 * 1024);
        assert!(hasher.params.t_cost() >= 2);
        assert_eq!(hasher.params.p_cost(), 1);
    }

    #[test]
    fn the_dummy_hash_is_argon2id_with_the_production_parameters() {
        let parsed = PasswordHash::new(DUMMY_PHC).expect("a PHC string");
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let params = Params::try_from(&parsed).expect("argon2 parameters");
        let production = Argon2Hasher::production();
        assert_eq!(params.m_cost(), production.params.m_cost());
        assert_eq!(params.t_cost(), production.params.t_cost());
        assert_eq!(params.p_cost(), production.params.p_cost());
        assert!(parsed.hash.is_some_and(|hash| hash.len() == 32));
    }

    #[test]
    fn hashes_are_salted_phc_strings_that_verify() {
        let hasher = Argon2Hasher::cheap_for_tests();
        let secret = password("Zq7-xk2!first");
        let first = hasher.hash(&secret).unwrap();
        let second = hasher.hash(&secret).unwrap();
        assert!(first.starts_with("$argon2id$v=19$"), "{first}");
        assert_ne!(first, second, "every hash has its own salt");
        let salt = PasswordHash::new(&first).unwrap().salt.unwrap();
        assert_eq!(salt.as_str().len(), 22, "16 bytes, unpadded base64: {salt}");
        assert!(!first.contains("Zq7-xk2!first"));
        assert_eq!(hasher.verify("Zq7-xk2!first", &first), Ok(true));
        assert_eq!(hasher.verify("Zq7-xk2!firsT", &first), Ok(false));
        assert_eq!(hasher.verify("Zq7-xk2!first", &second), Ok(true));
    }

    #[test]
    fn a_corrupt_hash_is_an_error_not_a_mismatch() {
        let hasher = Argon2Hasher::cheap_for_tests();
        assert!(hasher.verify("whatever1", "not a phc").is_err());
    }

    #[test]
    #[ignore = "prints a new dummy PHC with the production parameters"]
    fn print_a_dummy_phc() {
        let params = Argon2Hasher::production().params;
        println!(
            "{}",
            hash_with(&params, uuid::Uuid::new_v4().as_bytes()).unwrap()
        );
    }
}
