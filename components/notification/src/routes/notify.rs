use crate::service;
use crate::wire::{NotificationReceipt, NotifyBody};
use notification_domain::{
    ChannelKind, DeliveryStatus, IdempotencyKey, Message, Metadata, Notified, NotifyError,
    NotifyRequest, Recipient, Subject, UserId,
};
use spin_edge::ErrorResponse;
use spin_edge::params::json_body;
use spin_edge::require_internal_key;
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_edge::{ApiError, HttpResponse};
use spin_sdk::http::{Params, Request};

const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Send a notification.
///
/// Delivers through the channel, stores the notification and answers its
/// outcome; a failed delivery is still `202`, with `status: failed` and
/// `error`. With an `Idempotency-Key`, the first request delivers and every
/// repeat (any body) gets the first result with `200` and delivers nothing.
/// `email` and `sms` go through provider components: a provider's permanent
/// rejection (bad address, refused content) is stored as `failed` at once;
/// a temporary one (timeout, 429, 5xx) is retried like the webhook (3
/// attempts, 100 ms then 300 ms apart).
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
        (status = 202, description = "Delivered (or tried to) and stored.", body = NotificationReceipt),
        (status = 200, description = "A repeat of an `Idempotency-Key`: the first request's result; nothing delivered again.", body = NotificationReceipt),
        (status = 400, description = "`invalid_json`: the body is not JSON.", body = ErrorResponse),
        (status = 401, description = "`unauthorized`: missing or wrong `X-Internal-Key`.", body = ErrorResponse),
        (status = 409, description = "`idempotency_in_progress`: a request with this key is still delivering.", body = ErrorResponse,
            headers(("Retry-After" = u32, description = "Seconds to wait before repeating."))),
        (status = 413, description = "`payload_too_large`: the body is over 64 KiB.", body = ErrorResponse),
        (status = 415, description = "`unsupported_media_type`: the body is not `application/json`.", body = ErrorResponse),
        (status = 422, description = "`validation_failed`: one detail per bad field (or the `Idempotency-Key` header).", body = ErrorResponse),
        (status = 500, description = "`internal_error`.", body = ErrorResponse),
        (status = 503, description = "`channel_unavailable`: the channel is not configured (webhook without `webhook_url`, an email or SMS provider without its API settings); nothing stored.", body = ErrorResponse),
    )
)]
pub fn notify(context: &RequestContext, request: Request, _: Params) -> HandlerResult {
    require_internal_key(&request)?;
    let idempotency_key = idempotency_key(&request)?;
    let notify_request = read_body(context, &request)?;
    let service = service::open(context)?;
    match service.notify(notify_request, idempotency_key.as_ref()) {
        Ok(Notified::Created(receipt)) => {
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
            Ok(HttpResponse::json(
                202,
                &NotificationReceipt::from(&receipt),
            ))
        }
        Ok(Notified::Repeated(receipt)) => Ok(HttpResponse::json(
            200,
            &NotificationReceipt::from(&receipt),
        )),
        Err(NotifyError::ChannelUnavailable(kind)) => Err(channel_unavailable(kind)),
        Err(NotifyError::InProgress) => Err(ApiError::new(
            409,
            "idempotency_in_progress",
            "A request with this Idempotency-Key is still being delivered; repeat it shortly.",
        )
        .with_header("retry-after", "1")),
        Err(NotifyError::Storage(error)) => Err(ApiError::unexpected(error)),
    }
}

fn channel_unavailable(kind: ChannelKind) -> ApiError {
    ApiError::unavailable(
        "channel_unavailable",
        format!("The {kind} channel is not configured on this server."),
    )
}

fn idempotency_key(request: &Request) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = request.header(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    value
        .as_str()
        .ok_or(notification_domain::Invalid("must be 1 to 128 characters"))
        .and_then(IdempotencyKey::parse)
        .map(Some)
        .map_err(|invalid| ApiError::invalid_parameter("Idempotency-Key", &invalid.to_string()))
}

fn read_body(context: &RequestContext, request: &Request) -> Result<NotifyRequest, ApiError> {
    let mut fields = json_body(request)?;
    let user_id = fields.required_with("user_id", UserId::parse);
    let channel = fields.optional_with("channel", ChannelKind::parse);
    let to = recipient(&mut fields, channel);
    let subject = fields.optional_with("subject", Subject::parse);
    let message = fields.required_with("message", Message::parse);
    let metadata = fields.optional::<Metadata>("metadata");
    fields.finish()?;
    match (user_id, channel, to, subject, message, metadata) {
        (Some(user_id), Some(channel), Some(to), Some(subject), Some(message), Some(metadata)) => {
            Ok(NotifyRequest {
                user_id,
                channel: channel.unwrap_or_default(),
                to,
                subject,
                message,
                metadata,
            })
        }
        _ => Err(ApiError::unexpected(
            "a field was refused without a validation detail",
        )),
    }
}

/// `to`, validated for the channel asked for (`None` when it is bad, or
/// when the channel itself is bad and so cannot say what `to` should be).
fn recipient(
    fields: &mut spin_edge::FieldReader,
    channel: Option<Option<ChannelKind>>,
) -> Option<Option<Recipient>> {
    let to = fields.optional::<String>("to")?;
    let channel = channel?.unwrap_or_default();
    match Recipient::for_channel(channel, to) {
        Ok(to) => Some(to),
        Err(invalid) => {
            fields.reject("to", &invalid.to_string());
            None
        }
    }
}
