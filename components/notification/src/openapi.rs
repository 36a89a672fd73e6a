//! `GET /notification/openapi.json`: the service's OpenAPI 3 document.

use crate::routes::{notifications, user_notifications};
use crate::wire::{
    Channel, NotificationList, NotificationReceipt, NotificationView, NotifyBody, Status,
};
use spin_edge::ErrorResponse;
use spin_edge::openapi::{SecuritySchemes, UnreadBodyErrors, document_health, serve_document};
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_sdk::http::{Params, Request};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Notification service",
        description = "Sends notifications through the `log`, `webhook`, `email` or `sms` channel, stores them, and lists each user's newest. `email` and `sms` are delivered by provider components implementing the WIT interfaces `seed:email/channel@0.1.0` and `seed:sms/channel@0.1.0` (the project's `wit/`), linked in as Spin component dependencies of the app's private `channels` component. Errors have the shape `{\"error\": {\"code\", \"message\", \"details\"}, \"request_id\"}`; unknown paths get `404 not_found`, known paths with another method `405 method_not_allowed` with `Allow`. Every response carries `X-Request-Id`."
    ),
    paths(
        notifications::notify,
        notifications::notification,
        user_notifications::user_notifications,
        document,
    ),
    components(schemas(
        ErrorResponse, NotifyBody, NotificationReceipt, NotificationView, NotificationList,
        Channel, Status
    )),
    modifiers(&SecuritySchemes),
    tags(
        (name = "notification", description = "Sending and reading notifications."),
        (name = "health", description = "Liveness and store check."),
        (name = "docs", description = "This document."),
    )
)]
pub struct ApiDoc;

/// The whole document, health routes included.
fn full_document() -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    document_health(&mut document, "notification");
    document
}

/// This OpenAPI document.
#[utoipa::path(
    get,
    path = "/notification/openapi.json",
    tag = "docs",
    security(()),
    responses((status = 200, description = "The OpenAPI 3 document of the notification service.", content_type = "application/json", body = Object), UnreadBodyErrors)
)]
pub fn document(_: &RequestContext, _: Request, _: Params) -> HandlerResult {
    serve_document(&full_document())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use spin_edge::openapi::differences_from_contract;

    fn document() -> Value {
        serde_json::from_str(&full_document().to_json().unwrap()).unwrap()
    }

    #[test]
    fn every_operation_lists_the_contracts_status_codes() {
        let expected: [(&str, &str, &[&str]); 6] = [
            (
                "/notification/notify",
                "post",
                &[
                    "200", "202", "400", "401", "403", "408", "409", "413", "415", "422", "500",
                    "503",
                ],
            ),
            (
                "/notification/notifications/{notification_id}",
                "get",
                &[
                    "200", "400", "401", "403", "404", "408", "413", "415", "500", "503",
                ],
            ),
            (
                "/notification/users/{user_id}/notifications",
                "get",
                &[
                    "200", "400", "401", "403", "408", "413", "415", "422", "500", "503",
                ],
            ),
            (
                "/notification/health",
                "get",
                &["200", "400", "408", "413", "415", "503"],
            ),
            (
                "/notification/health/kv",
                "get",
                &[
                    "200", "400", "401", "403", "408", "413", "415", "500", "503",
                ],
            ),
            (
                "/notification/openapi.json",
                "get",
                &["200", "400", "408", "413", "415"],
            ),
        ];
        assert_eq!(
            differences_from_contract(&full_document(), &expected),
            Vec::<String>::new()
        );
    }

    #[test]
    fn notify_documents_every_503_it_answers() {
        let document = document();
        let unavailable =
            document["paths"]["/notification/notify"]["post"]["responses"]["503"]["description"]
                .as_str()
                .unwrap_or_default();
        for code in [
            "channel_unavailable",
            "channel_unreachable",
            "auth_unavailable",
        ] {
            assert!(unavailable.contains(code), "{code}: {unavailable}");
        }
    }

    #[test]
    fn the_notify_body_is_the_real_body_with_its_rules() {
        let doc = document();
        let body = &doc["components"]["schemas"]["NotifyBody"];
        assert_eq!(body["required"], json!(["user_id", "message"]));
        let fields = &body["properties"];
        assert_eq!(fields["user_id"]["maxLength"], 128);
        assert_eq!(fields["message"]["maxLength"], 4000);
        assert_eq!(fields["subject"]["maxLength"], 200);
        assert_eq!(fields["to"]["maxLength"], 254);
        assert_eq!(fields["channel"]["default"], "log");
        assert_eq!(
            doc["components"]["schemas"]["Channel"]["enum"],
            json!(["log", "webhook", "email", "sms"])
        );
        let notify = &doc["paths"]["/notification/notify"]["post"];
        assert_eq!(
            notify["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/NotifyBody"
        );
        assert!(
            notify["responses"]["409"]["headers"]["Retry-After"].is_object(),
            "{notify}"
        );
        // A stored notification's subject is sent as `null` when absent.
        let view = &doc["components"]["schemas"]["NotificationView"]["required"];
        assert!(
            view.as_array().unwrap().contains(&json!("subject")),
            "{view}"
        );
    }

    #[test]
    fn security_follows_who_may_call() {
        let doc = document();
        let security = |path: &str, method: &str| doc["paths"][path][method]["security"].clone();
        let internal = json!([{"internal_key": []}]);
        assert_eq!(security("/notification/notify", "post"), internal);
        assert_eq!(
            security("/notification/notifications/{notification_id}", "get"),
            internal
        );
        assert_eq!(
            security("/notification/users/{user_id}/notifications", "get"),
            json!([{"internal_key": []}, {"bearer": []}])
        );
        assert_eq!(security("/notification/health", "get"), json!([{}]));
        assert_eq!(security("/notification/openapi.json", "get"), json!([{}]));
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["internal_key"]["name"], "X-Internal-Key");
        assert_eq!(schemes["bearer"]["scheme"], "bearer");
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    }
}
