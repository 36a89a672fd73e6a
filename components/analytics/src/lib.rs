//! The analytics component.
