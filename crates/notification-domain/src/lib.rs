//! notification-domain
