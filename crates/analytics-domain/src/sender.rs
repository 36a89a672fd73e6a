//! Whose events a sender may record.

use domain_core::{DomainError, Failure, UserId};

/// An authenticated caller, as far as analytics' rules go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    /// Another service or an operator, holding the internal key.
    Service,
    /// A user, proven by a bearer token.
    User(UserId),
}

/// Why a sender cannot record an event for the `user_id` it gave.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubjectError {
    /// Only a user's own token implies whose event it is.
    #[error("is required with the internal key")]
    Missing,
    /// A user's token covers that user's events only.
    #[error("These credentials do not cover this resource.")]
    OtherUser,
}

impl DomainError for SubjectError {
    fn failure(&self) -> Failure {
        match self {
            Self::Missing => Failure::Invalid { field: "user_id" },
            Self::OtherUser => Failure::Forbidden { code: "forbidden" },
        }
    }
}

impl Sender {
    /// The user an event is recorded for, given the `user_id` the body named.
    pub fn subject(&self, named: Option<UserId>) -> Result<UserId, SubjectError> {
        match (self, named) {
            (Self::Service, Some(named)) => Ok(named),
            (Self::Service, None) => Err(SubjectError::Missing),
            (Self::User(own), None) => Ok(own.clone()),
            (Self::User(own), Some(named)) if *own == named => Ok(named),
            (Self::User(_), Some(_)) => Err(SubjectError::OtherUser),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    #[test]
    fn a_service_must_name_the_user() {
        assert_eq!(Sender::Service.subject(Some(user("a"))), Ok(user("a")));
        let missing = Sender::Service.subject(None).unwrap_err();
        assert_eq!(missing.failure(), Failure::Invalid { field: "user_id" });
    }

    #[test]
    fn a_user_records_for_itself_only() {
        let alice = Sender::User(user("alice"));
        assert_eq!(alice.subject(None), Ok(user("alice")));
        assert_eq!(alice.subject(Some(user("alice"))), Ok(user("alice")));
        let other = alice.subject(Some(user("bob"))).unwrap_err();
        assert_eq!(other.failure(), Failure::Forbidden { code: "forbidden" });
    }
}
