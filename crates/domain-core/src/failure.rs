//! How a domain error is answered, without the domain knowing of HTTP:
//! each service's error enums say which kind of [`Failure`] each variant is,
//! and the inbound adapter turns every kind into the contract's answer in
//! one place, so the same kind of failure gets the same answer everywhere.

use crate::kv::StoreError;

/// The kinds of failure a client is answered about. The error's `Display`
/// is the message: addressed to the client for every kind but
/// [`Failure::Unexpected`], whose message is the cause, for the log only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// A value the caller sent breaks a rule; `field` names it.
    Invalid { field: &'static str },
    /// The credentials presented were not accepted. `bearer` when the
    /// caller should present a bearer token.
    Unauthenticated { code: &'static str, bearer: bool },
    /// Accepted credentials that do not cover this request; `code` names
    /// the rule.
    Forbidden { code: &'static str },
    /// Nothing by that name.
    NotFound,
    /// The request conflicts with the current state; `retry_after` (in
    /// seconds) when the conflict should pass by itself.
    Conflict {
        code: &'static str,
        retry_after: Option<u64>,
    },
    /// Too many attempts; the next may come after `retry_after` seconds.
    TooManyAttempts { retry_after: u64 },
    /// Something this request needs is not available on this server now.
    Unavailable { code: &'static str },
    /// Nobody's request is at fault: the store failed, a record is corrupt.
    Unexpected,
}

/// An error a domain operation returns, with the kind of failure it is.
pub trait DomainError: std::error::Error {
    fn failure(&self) -> Failure;
}

impl DomainError for StoreError {
    fn failure(&self) -> Failure {
        Failure::Unexpected
    }
}
