//! auth-domain
