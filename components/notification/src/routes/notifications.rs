//! Notifications: sending one, reading one back.

use crate::service;
use crate::wire::{NotificationReceipt, NotificationView, NotifyBody};
use domain_core::Invalid;
use notification_domain::{DeliveryStatus, IdempotencyKey, NotificationId, Notified};
use spin_edge::json_body::read_fields;
use spin_edge::openapi::{
    AuthUnavailable, BodyErrors, InternalKeyErrors, UnexpectedError, UnreadBodyErrors,
};
use spin_edge::params::{json_body, path};
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_edge::{ApiError, ErrorResponse, HttpResponse, require_internal_key};
use spin_sdk::http::{Params, Request};

/// Send a notification.
///
/// Delivers through the channel, stores the notification and answers its
/// outcome; a failed delivery is still `202`, with `status: failed` and
/// `error`. With an `Idempotency-Key`, the first request delivers and every
/// repeat whose body is valid (whatever it says) gets the first result with
/// `200` and delivers nothing; the body is checked before the key.
/// `email` and `sms` go through provider components: a provider's permanent
/// rejection (bad address, refused content) is stored as `failed` at once;
/// a temporary one (timeout, 429, 5xx) is retried like the webhook (3
/// attempts, 100 ms then 300 ms apart).
/// Each address gets at most 10 `email` and 10 `sms` notifications per UTC
/// hour (spellings of one inbox count as one: case and `+tag` aside); past
/// that, nothing is sent and the notification is stored and answered `202`
/// with `status: failed`, `attempts: 0` and an `error` saying the
/// recipient's hourly budget is spent, a final outcome not worth retrying.
/// Only a request that would deliver is charged: a repeat of an
/// `Idempotency-Key` is not.
/// A repeat that arrives while the first is still delivering waits up to
/// about 5 s for its result, then gets `409 idempotency_in_progress` with
/// `Retry-After`; retry it to get the result.
#[utoipa::path(
    post,
    path = "/notification/notify",
    tag = "notification",
    security(("internal_key" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1–128 characters; repeats with the same key deliver once."),
        ("X-Request-Id" = Option<String>, Header, description = "Echoed when 1–128 characters of `[A-Za-z0-9._-]`; otherwise a new UUID."),
    ),
    request_body(content = NotifyBody, content_type = "application/json"),
    responses(
        (status = 202, description = "Delivered (or tried to) and stored; `failed` with the reason in `error`, among them a recipient whose hourly budget is spent (`attempts: 0`, nothing sent).", body = NotificationReceipt),
        (status = 200, description = "A repeat of an `Idempotency-Key`: the first request's result; nothing delivered again.", body = NotificationReceipt),
        (status = 409, description = "`idempotency_in_progress`: a request with this key is still delivering.", body = ErrorResponse,
            headers(("Retry-After" = u32, description = "Seconds to wait before repeating."))),
        (status = 422, description = "`validation_failed`: one detail per bad field (or the `Idempotency-Key` header), or one naming `body` when it is not a JSON object.", body = ErrorResponse),
        BodyErrors, InternalKeyErrors, UnexpectedError,
        (status = 503, description = "`channel_unavailable`: the channel is not configured (webhook without `webhook_url`, or with one that is not an http(s) URL or whose scheme, host or port `webhook_origin` does not allow; an email or SMS provider without its API settings); `channel_unreachable`: whether it is could not be learnt (its provider did not answer in time, its settings could not be read), and a repeat may succeed. Nothing stored. `auth_unavailable`: a bearer token sent instead of the key could not be verified right now.", body = ErrorResponse),
    )
)]
pub fn notify(context: &RequestContext, request: Request, _: Params) -> HandlerResult {
    require_internal_key(context, &request)?;
    let mut fields = json_body(&request)?;
    // The header's rule is one more bad field, reported with the body's.
    let idempotency_key = idempotency_key(&request).unwrap_or_else(|invalid| {
        fields.reject("Idempotency-Key", &invalid.to_string());
        None
    });
    let body: NotifyBody = read_fields(fields)?;
    let notified = service::open(context)?.notify(body.into(), idempotency_key.as_ref())?;
    Ok(match notified {
        Notified::Created(receipt) => {
            if receipt.status == DeliveryStatus::Failed {
                context.log(
                    "delivery_failed",
                    serde_json::json!({
                        "notification_id": receipt.notification_id,
                        "channel": receipt.channel,
                        "attempts": receipt.attempts,
                        "error": receipt.error,
                    }),
                );
            }
            HttpResponse::json(202, &NotificationReceipt::from(receipt))
        }
        Notified::Repeated(receipt) => HttpResponse::json(200, &NotificationReceipt::from(receipt)),
    })
}

/// The `Idempotency-Key` header, when sent; why not, when it is not 1–128
/// characters of UTF-8.
fn idempotency_key(request: &Request) -> Result<Option<IdempotencyKey>, Invalid> {
    request
        .header("idempotency-key")
        .map(|value| {
            value
                .as_str()
                .ok_or(Invalid("must be 1 to 128 characters"))
                .and_then(IdempotencyKey::parse)
        })
        .transpose()
}

/// Read one notification.
#[utoipa::path(
    get,
    path = "/notification/notifications/{notification_id}",
    tag = "notification",
    security(("internal_key" = [])),
    params(("notification_id" = String, Path, format = Uuid, description = "As returned by notify.")),
    responses(
        (status = 200, description = "The stored notification and its delivery outcome.", body = NotificationView),
        (status = 404, description = "`not_found`: no notification has this id (nor any text that is not a UUID).", body = ErrorResponse),
        InternalKeyErrors, AuthUnavailable, UnexpectedError, UnreadBodyErrors,
    )
)]
pub fn notification(context: &RequestContext, request: Request, params: Params) -> HandlerResult {
    require_internal_key(context, &request)?;
    // Text that is not a UUID names no notification: unknown, like any other.
    let id = path(&params, "notification_id", NotificationId::parse)
        .map_err(|_| ApiError::not_found())?;
    let record = service::open(context)?
        .get(&id)?
        .ok_or_else(ApiError::not_found)?;
    Ok(HttpResponse::json(200, &NotificationView::from(record)))
}
