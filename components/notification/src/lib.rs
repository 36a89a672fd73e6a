//! The notification component.
