//! What can go wrong beyond a bad field: a refusal the client can act on,
//! or an unexpected failure it cannot.

use service_kit::StoreError;

/// A failure that is nobody's request's fault: a 500, its cause in the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unexpected {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Only this crate writes index slots, always with a valid name.
    #[error("action index slot {slot} does not hold an action name")]
    CorruptIndex { slot: u64 },
}

/// Why an event was not recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// A new action name while the index is full; nothing was claimed, so
    /// the event may be sent again once the limit is raised.
    #[error(
        "is a new action, and the service already tracks its maximum of {limit} distinct actions"
    )]
    TooManyActions { limit: u64 },
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

impl From<StoreError> for RecordError {
    fn from(error: StoreError) -> Self {
        Self::Unexpected(error.into())
    }
}
