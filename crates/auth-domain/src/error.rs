//! What the service's operations return when they do not succeed. Each enum
//! splits the outcomes a client is told about (their `Display` is the
//! client's message) from [`Unexpected`] failures, which become a bland 500
//! with the cause in the log.

use crate::hashing::HashingError;
use domain_core::{DomainError, Failure, StoreError};

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
    #[error("That username is already registered.")]
    UsernameTaken,
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown user and wrong password alike.
    #[error("The username or password is wrong.")]
    InvalidCredentials,
    /// Locked by five failures, or five checks already under way: at most
    /// five passwords are checked per window, however many attempts arrive
    /// at once, so the message blames attempts, not failures.
    #[error("Too many login attempts for this username; try again after Retry-After seconds.")]
    TooManyAttempts { retry_after_seconds: u64 },
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Unknown, expired and revoked tokens alike.
    #[error("Missing, invalid or expired credentials.")]
    Invalid,
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

impl DomainError for Unexpected {
    fn failure(&self) -> Failure {
        Failure::Unexpected
    }
}

impl DomainError for RegisterError {
    fn failure(&self) -> Failure {
        match self {
            Self::UsernameTaken => Failure::Conflict {
                code: "username_taken",
                retry_after: None,
            },
            Self::Unexpected(_) => Failure::Unexpected,
        }
    }
}

impl DomainError for LoginError {
    fn failure(&self) -> Failure {
        match self {
            Self::InvalidCredentials => Failure::Unauthenticated {
                code: "invalid_credentials",
                bearer: false,
            },
            Self::TooManyAttempts {
                retry_after_seconds,
            } => Failure::TooManyAttempts {
                retry_after: *retry_after_seconds,
            },
            Self::Unexpected(_) => Failure::Unexpected,
        }
    }
}

impl DomainError for TokenError {
    fn failure(&self) -> Failure {
        match self {
            Self::Invalid => Failure::Unauthenticated {
                code: "unauthorized",
                bearer: true,
            },
            Self::Unexpected(_) => Failure::Unexpected,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_outcome_is_the_failure_clients_are_told_about() {
        let store = || Unexpected::Store(StoreError::Unavailable("down".to_owned()));
        assert_eq!(
            RegisterError::UsernameTaken.failure(),
            Failure::Conflict {
                code: "username_taken",
                retry_after: None
            }
        );
        assert_eq!(
            LoginError::InvalidCredentials.failure(),
            Failure::Unauthenticated {
                code: "invalid_credentials",
                bearer: false
            }
        );
        let throttled = LoginError::TooManyAttempts {
            retry_after_seconds: 42,
        };
        assert_eq!(
            throttled.failure(),
            Failure::TooManyAttempts { retry_after: 42 }
        );
        assert_eq!(
            TokenError::Invalid.failure(),
            Failure::Unauthenticated {
                code: "unauthorized",
                bearer: true
            }
        );
        for unexpected in [
            RegisterError::Unexpected(store()).failure(),
            LoginError::Unexpected(store()).failure(),
            TokenError::Unexpected(store()).failure(),
            store().failure(),
        ] {
            assert_eq!(unexpected, Failure::Unexpected);
        }
    }

    #[test]
    fn the_messages_are_the_sentences_clients_see_and_causes_stay_causes() {
        assert_eq!(
            RegisterError::UsernameTaken.to_string(),
            "That username is already registered."
        );
        assert_eq!(
            LoginError::InvalidCredentials.to_string(),
            "The username or password is wrong."
        );
        let cause = TokenError::Unexpected(Unexpected::corrupt("token:x", "bad json"));
        assert_eq!(
            cause.to_string(),
            "record under \"token:x\" is unreadable: bad json"
        );
    }
}
