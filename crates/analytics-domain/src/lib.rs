//! analytics-domain
