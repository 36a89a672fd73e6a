//! Errors of the notification service: the outcomes a caller must handle
//! apart ([`NotifyError::ChannelUnavailable`], [`NotifyError::InProgress`])
//! and the unexpected ones ([`StorageError`]), answered as a bland 500.

use crate::fields::ChannelKind;
use domain_core::StoreError;

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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// The channel is not configured on this host; nothing was stored.
    #[error("the {0} channel is not configured")]
    ChannelUnavailable(ChannelKind),
    /// Another request with the same idempotency key is still delivering.
    #[error("a request with this idempotency key is still in progress")]
    InProgress,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<StoreError> for NotifyError {
    fn from(error: StoreError) -> Self {
        Self::Storage(error.into())
    }
}
