//! `GET /analytics/metrics/actions` and
//! `GET /analytics/metrics/user/{user_id}/actions`.

use super::{analytics, sender};
use crate::wire::{ActionMetrics, UserActionMetrics};
use analytics_domain::UserId;
use service_kit::{ApiError, HttpResponse};
use spin_kit::openapi::ErrorResponse;
use spin_kit::serve::{HandlerResult, RequestContext};
use spin_sdk::http::{Params, Request};

/// Events per action over all users. No credentials (a global aggregate).
///
/// Reads three times, however many events or users there are: the action
/// index size, its names (at most 1000), their counters.
#[utoipa::path(
    get,
    path = "/analytics/metrics/actions",
    tag = "metrics",
    security(()),
    responses(
        (status = 200, description = "Counts per action.", body = ActionMetrics),
        (status = 500, description = "Unexpected failure (e.g. the store).", body = ErrorResponse),
    )
)]
pub fn actions(context: &RequestContext, _: Request, _: Params) -> HandlerResult {
    let counts = analytics(context)?
        .action_counts()
        .map_err(|cause| context.internal(cause))?;
    Ok(HttpResponse::json(200, &ActionMetrics::from(counts)))
}

/// One user's events per action: the internal key, or that user's own token.
/// A user without events gets zeros, not 404.
#[utoipa::path(
    get,
    path = "/analytics/metrics/user/{user_id}/actions",
    tag = "metrics",
    params(("user_id" = String, Path, description = "1–128 characters, percent-encoded in the path.")),
    security(("internal_key" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The user's counts per action.", body = UserActionMetrics),
        (status = 401, description = "Missing or invalid credentials.", body = ErrorResponse,
            headers(("www-authenticate" = String, description = "`Bearer`, unless a wrong internal key was sent."))),
        (status = 403, description = "Another user's token.", body = ErrorResponse),
        (status = 422, description = "`user_id` is not 1–128 characters of percent-encoded UTF-8.", body = ErrorResponse),
        (status = 500, description = "Unexpected failure (e.g. the store).", body = ErrorResponse),
        (status = 503, description = "A bearer token could not be verified right now.", body = ErrorResponse),
    )
)]
pub fn user_actions(context: &RequestContext, request: Request, params: Params) -> HandlerResult {
    let sender = sender(context, &request)?;
    let user = path_user(&params)?;
    if !sender.may_read(&user) {
        return Err(ApiError::forbidden());
    }
    let counts = analytics(context)?
        .user_counts(&user)
        .map_err(|cause| context.internal(cause))?;
    Ok(HttpResponse::json(
        200,
        &UserActionMetrics::new(&user, counts),
    ))
}

fn path_user(params: &Params) -> Result<UserId, ApiError> {
    let segment = params.get("user_id").unwrap_or_default();
    let text = percent_decode(segment)
        .ok_or_else(|| ApiError::invalid_parameter("user_id", "must be percent-encoded UTF-8"))?;
    UserId::parse(text).map_err(|error| ApiError::invalid_parameter("user_id", &error.to_string()))
}

/// A path segment as the client meant it: `a%20b` is the user `a b`.
fn percent_decode(segment: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(segment.len());
    let mut rest = segment.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        if first == b'%' {
            let hex = tail
                .get(..2)
                .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))?;
            let value = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            bytes.push(value);
            rest = &tail[2..];
        } else {
            bytes.push(first);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn path_segments_are_percent_decoded() {
        assert_eq!(percent_decode("alice").as_deref(), Some("alice"));
        assert_eq!(percent_decode("a%20b").as_deref(), Some("a b"));
        assert_eq!(percent_decode("caf%C3%A9").as_deref(), Some("café"));
        assert_eq!(percent_decode("%2Fx").as_deref(), Some("/x"));
    }

    #[test]
    fn broken_escapes_and_non_utf8_are_refused() {
        for bad in ["%", "%2", "%zz", "%+1", "%FF"] {
            assert_eq!(percent_decode(bad), None, "{bad}");
        }
    }
}
