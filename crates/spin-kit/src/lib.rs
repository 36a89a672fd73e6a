//! spin-kit
