//! spin-test-host
