//! Errors of the notification service: the outcomes a caller must handle
//! apart ([`NotifyError::ChannelUnavailable`], [`NotifyError::InProgress`])
//! and the unexpected ones ([`StorageError`]). Each says which kind of
//! failure it is; the messages of the first two are the client's.

use crate::fields::ChannelKind;
use domain_core::{DomainError, Failure, StoreError};

/// Seconds a repeat that met a delivery in progress is told to wait.
const RETRY_AFTER_SECONDS: u64 = 1;

/// The store failed or held something unreadable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("unreadable value under {key:?}: {reason}")]
    Corrupt { key: String, reason: String },
}

impl StorageError {
    pub(crate) fn corrupt(key: &str, reason: impl std::fmt::Display) -> Self {
        Self::Corrupt {
            key: key.to_owned(),
            reason: reason.to_string(),
        }
    }
}

impl DomainError for StorageError {
    fn failure(&self) -> Failure {
        Failure::Unexpected
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// The channel is not configured on this host; nothing was stored.
    #[error("The {0} channel is not configured on this server.")]
    ChannelUnavailable(ChannelKind),
    /// Whether the channel is configured could not be learnt; nothing was
    /// stored, and a repeat may succeed.
    #[error("The {0} channel could not be reached; repeat the request shortly.")]
    ChannelUnreachable(ChannelKind),
    /// Another request with the same idempotency key is still delivering.
    #[error("A request with this Idempotency-Key is still being delivered; repeat it shortly.")]
    InProgress,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<StoreError> for NotifyError {
    fn from(error: StoreError) -> Self {
        Self::Storage(error.into())
    }
}

impl DomainError for NotifyError {
    fn failure(&self) -> Failure {
        match self {
            Self::ChannelUnavailable(_) => Failure::Unavailable {
                code: "channel_unavailable",
            },
            Self::ChannelUnreachable(_) => Failure::Unavailable {
                code: "channel_unreachable",
            },
            Self::InProgress => Failure::Conflict {
                code: "idempotency_in_progress",
                retry_after: Some(RETRY_AFTER_SECONDS),
            },
            Self::Storage(_) => Failure::Unexpected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_says_its_kind_of_failure() {
        let off = NotifyError::ChannelUnavailable(ChannelKind::Webhook);
        assert_eq!(
            off.failure(),
            Failure::Unavailable {
                code: "channel_unavailable"
            }
        );
        assert_eq!(
            off.to_string(),
            "The webhook channel is not configured on this server."
        );
        assert_eq!(
            NotifyError::InProgress.failure(),
            Failure::Conflict {
                code: "idempotency_in_progress",
                retry_after: Some(1)
            }
        );
        let down = NotifyError::from(StoreError::Unavailable("gone".into()));
        assert_eq!(down.failure(), Failure::Unexpected);
        assert_eq!(down.to_string(), "key-value store unavailable: gone");
        assert_eq!(
            StorageError::corrupt("k", "bad").failure(),
            Failure::Unexpected
        );
    }
}
