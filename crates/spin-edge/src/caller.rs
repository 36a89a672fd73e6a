//! Who is calling: an operator or another service with the internal key, or
//! a user whose bearer token the auth service vouches for.

use crate::config;
use crate::credentials::{bearer_token, internal_key_matches};
use crate::error::ApiError;
use crate::outbound::{self, Deadline, OutboundRequest};
use crate::params::header;
use crate::request_id;
use crate::serve::RequestContext;
use domain_core::UserId;
use serde::Deserialize;
use spin_sdk::http::Request;
use std::time::Duration;

pub const INTERNAL_KEY_HEADER: &str = "x-internal-key";

/// Token checks happen on the request path: keep the wait short.
const TOKEN_CHECK_DEADLINE: Deadline =
    Deadline::within(Duration::from_millis(500), Duration::from_secs(2));

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Internal,
    User(UserId),
}

impl Caller {
    /// `403 forbidden` unless this caller may act for `user_id`: the
    /// internal key acts for anyone, a user only for itself.
    pub fn require_access_to(&self, user_id: &UserId) -> Result<(), ApiError> {
        match self {
            Self::User(own) if own != user_id => Err(ApiError::forbidden()),
            _ => Ok(()),
        }
    }
}

/// Accepts only the internal key. A user's valid bearer token is valid
/// credentials that do not reach the operation: `403`. No credentials, a
/// wrong key or a token auth does not vouch for: `401`.
pub fn require_internal_key(context: &RequestContext, request: &Request) -> Result<(), ApiError> {
    if has_internal_key(request)? {
        return Ok(());
    }
    let only_a_token = header(request, INTERNAL_KEY_HEADER).is_none()
        && bearer_token(header(request, "authorization")).is_some();
    if !only_a_token {
        return Err(ApiError::unauthorized());
    }
    match authenticate(context, request) {
        Ok(_) => Err(ApiError::forbidden()),
        Err(refused) if refused.status == 401 => Err(ApiError::unauthorized()),
        Err(unavailable) => Err(unavailable),
    }
}

/// Whether the request carries the internal key; an error only when the
/// key is not configured.
fn has_internal_key(request: &Request) -> Result<bool, ApiError> {
    let expected = config::required_variable("internal_api_key")?;
    Ok(internal_key_matches(
        header(request, INTERNAL_KEY_HEADER),
        &expected,
    ))
}

/// Accepts the internal key, or a bearer token checked with the auth
/// service at `auth_url` (the request id travels along). A present but
/// wrong internal key is refused outright rather than tried as a user; the
/// refusal still names the bearer scheme, as every `401` of an endpoint
/// that takes a bearer token does.
pub fn authenticate(context: &RequestContext, request: &Request) -> Result<Caller, ApiError> {
    if header(request, INTERNAL_KEY_HEADER).is_some() {
        return if has_internal_key(request)? {
            Ok(Caller::Internal)
        } else {
            Err(ApiError::unauthorized_bearer())
        };
    }
    let token =
        bearer_token(header(request, "authorization")).ok_or_else(ApiError::unauthorized_bearer)?;
    let auth_url = config::base_url("auth_url")?;
    let check = OutboundRequest::get(format!("{auth_url}/auth/me"))
        .header("authorization", format!("Bearer {token}"))
        .header(request_id::HEADER, context.request_id.clone());
    let response = outbound::send(check, TOKEN_CHECK_DEADLINE).map_err(|error| {
        context.log(
            "token_check_failed",
            serde_json::json!({"cause": error.to_string()}),
        );
        ApiError::unavailable("auth_unavailable", "Could not verify the token right now.")
    })?;
    match response.status {
        200 => {
            #[derive(Deserialize)]
            struct Me {
                user_id: UserId,
            }
            let me: Me = serde_json::from_slice(&response.body).map_err(|error| {
                ApiError::unexpected(format!("unreadable /auth/me answer: {error}"))
            })?;
            Ok(Caller::User(me.user_id))
        }
        401 => Err(ApiError::unauthorized_bearer()),
        status => {
            context.log("token_check_failed", serde_json::json!({"status": status}));
            Err(ApiError::unavailable(
                "auth_unavailable",
                "Could not verify the token right now.",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_act_for_themselves_and_the_internal_key_for_anyone() {
        let alice = UserId::parse("alice").unwrap();
        let bob = UserId::parse("bob").unwrap();
        assert!(Caller::Internal.require_access_to(&bob).is_ok());
        assert!(
            Caller::User(alice.clone())
                .require_access_to(&alice)
                .is_ok()
        );
        let refused = Caller::User(alice).require_access_to(&bob).unwrap_err();
        assert_eq!((refused.status, refused.code), (403, "forbidden"));
    }
}
