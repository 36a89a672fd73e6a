//! The auth component.
