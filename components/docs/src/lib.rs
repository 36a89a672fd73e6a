//! The docs component.
