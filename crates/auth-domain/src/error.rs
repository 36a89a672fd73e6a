//! What the service's operations return when they do not succeed. Each enum
//! splits the outcomes a client is told about from [`Unexpected`] failures,
//! which become a bland 500 with the cause in the log.

use crate::hashing::HashingError;
use domain_core::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Unexpected {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hashing(#[from] HashingError),
    #[error("record under {key:?} is unreadable: {reason}")]
    Corrupt { key: String, reason: String },
}

impl Unexpected {
    pub(crate) fn corrupt(key: &str, reason: impl std::fmt::Display) -> Self {
        Self::Corrupt {
            key: key.to_owned(),
            reason: reason.to_string(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("the username is taken")]
    UsernameTaken,
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown user and wrong password alike.
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("too many failed attempts; retry in {retry_after_seconds} s")]
    TooManyAttempts { retry_after_seconds: u64 },
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Unknown, expired and revoked tokens alike.
    #[error("the token is unknown, expired or revoked")]
    Invalid,
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

macro_rules! unexpected_from {
    ($($error:ty),*) => {$(
        impl From<StoreError> for $error {
            fn from(error: StoreError) -> Self {
                Self::Unexpected(error.into())
            }
        }
        impl From<HashingError> for $error {
            fn from(error: HashingError) -> Self {
                Self::Unexpected(error.into())
            }
        }
    )*};
}

unexpected_from!(RegisterError, LoginError, TokenError);
