//! What can go wrong beyond a bad field: a refusal the client can act on,
//! or an unexpected failure it cannot.

use domain_core::{DomainError, Failure, StoreError};

/// A failure that is nobody's request's fault: a 500, its cause in the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unexpected {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Only this crate writes index slots, always with a valid name.
    #[error("action index slot {slot} does not hold an action name")]
    CorruptIndex { slot: u64 },
    /// Only this crate writes it, always a number.
    #[error("the index size before users' first ticket is not a number")]
    CorruptUserSlotsStart,
    /// Something this crate relies on did not hold (the store's answer had
    /// another shape, or a key only this crate deletes is gone): a bug, not
    /// an outage.
    #[error("broken invariant: {0}")]
    BrokenInvariant(&'static str),
    /// Counting failed after the event was claimed. When `released`, what
    /// had been counted was reversed and the claim released, so the
    /// sender's retry counts the event; otherwise the undo failed too and
    /// the retry will be a duplicate (the event is undercounted).
    #[error("counting a claimed event failed ({cause}); {}", if *released {
        "its counts were reversed and the claim released for a retry"
    } else {
        "undoing it failed too: the claim stands, a retry is a duplicate"
    })]
    CountingFailed { cause: StoreError, released: bool },
}

impl DomainError for Unexpected {
    fn failure(&self) -> Failure {
        Failure::Unexpected
    }
}

/// Why an event was not recorded. Every refusal comes before the event is
/// claimed, so the same event may be sent again once the cause is gone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// A new action name while the index is full (for users, while the
    /// part of it open to users is full).
    #[error(
        "is a new action, and the service already tracks its maximum of {limit} distinct actions"
    )]
    TooManyActions { limit: u64 },
    /// One of the actions the system itself emits, sent by a user.
    #[error("this action is recorded by the system only")]
    ReservedAction,
    /// An action outside the operator's list of client actions, sent by a user.
    #[error("this action is not one users may record")]
    ActionNotAllowed,
    /// A user who has already introduced its share of new action names.
    #[error("each user may introduce at most {limit} new action names")]
    ActionQuotaExceeded { limit: u64 },
    /// A new action name that another request claimed and has not added
    /// yet: this request took no slot for it, and a retry finds it added.
    #[error("this action is new and being added by another request; retry shortly")]
    ActionBeingAdded,
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

impl From<StoreError> for RecordError {
    fn from(error: StoreError) -> Self {
        Self::Unexpected(error.into())
    }
}

impl DomainError for RecordError {
    fn failure(&self) -> Failure {
        match self {
            Self::TooManyActions { .. } => Failure::Invalid { field: "action" },
            Self::ReservedAction => Failure::Forbidden {
                code: "reserved_action",
            },
            Self::ActionNotAllowed => Failure::Forbidden {
                code: "action_not_allowed",
            },
            Self::ActionQuotaExceeded { .. } => Failure::Forbidden {
                code: "action_quota_exceeded",
            },
            Self::ActionBeingAdded => Failure::Conflict {
                code: "action_being_added",
                retry_after: Some(1),
            },
            Self::Unexpected(_) => Failure::Unexpected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_is_answered_as_its_kind_of_failure() {
        let forbidden = |code| Failure::Forbidden { code };
        let cases = [
            (
                RecordError::TooManyActions { limit: 1000 },
                Failure::Invalid { field: "action" },
            ),
            (RecordError::ReservedAction, forbidden("reserved_action")),
            (
                RecordError::ActionNotAllowed,
                forbidden("action_not_allowed"),
            ),
            (
                RecordError::ActionQuotaExceeded { limit: 10 },
                forbidden("action_quota_exceeded"),
            ),
            (
                RecordError::ActionBeingAdded,
                Failure::Conflict {
                    code: "action_being_added",
                    retry_after: Some(1),
                },
            ),
            (
                StoreError::Unavailable("down".into()).into(),
                Failure::Unexpected,
            ),
        ];
        for (error, failure) in cases {
            assert_eq!(error.failure(), failure, "{error}");
        }
    }
}
