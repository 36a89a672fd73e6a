//! The black-box end-to-end suite: every endpoint and rule of the API
//! contract, exercised over HTTP against the real components.

mod abuse_auth;
mod abuse_events;
mod analytics_events;
mod analytics_metrics;
mod auth_login;
mod auth_register;
mod auth_tokens;
mod channels;
mod concurrency;
mod conventions;
mod delivery;
mod docs;
mod faults;
mod health;
mod notification;
mod oci;
mod redis;
mod restart;
mod split_deployment;
mod storage;
mod tracing;
