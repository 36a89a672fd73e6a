//! The request body and the receipt, apart from the transport so they are
//! tested natively.

use provider_kit::{Members, OutboundResponse};
use serde_json::json;

/// Used when the notification has no subject: mail APIs require one.
pub const DEFAULT_SUBJECT: &str = "Notification";

/// The v3 mail-send body. `custom_args` carries the notification id into
/// the provider's event webhooks, so a bounce can be traced back.
pub fn mail_send(id: &str, to: &str, from: &str, subject: Option<&str>, text: &str) -> Vec<u8> {
    let subject = subject.filter(|s| !s.is_empty()).unwrap_or(DEFAULT_SUBJECT);
    let body = json!({
        "personalizations": [{"to": [{"email": to}]}],
        "from": {"email": from},
        "subject": subject,
        "content": [{"type": "text/plain", "value": text}],
        "custom_args": {"notification_id": id},
    });
    serde_json::to_vec(&body).expect("JSON values always serialize")
}

/// SendGrid names the message in `X-Message-Id`; other APIs answer an `id`
/// in the body. Without either, the status says at least that it was taken.
pub fn receipt(response: &OutboundResponse) -> String {
    let header_id = response
        .header("x-message-id")
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    let message_id = header_id.or_else(|| {
        Members::parse(&response.body).and_then(|body| {
            ["id", "message_id", "messageId"]
                .iter()
                .find_map(|name| body.text(name))
        })
    });
    provider_kit::receipt(message_id, response.status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(headers: &[(&str, &str)], body: &str) -> OutboundResponse {
        OutboundResponse {
            status: 202,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn the_body_has_sendgrids_shape() {
        let body: serde_json::Value = serde_json::from_slice(&mail_send(
            "n-1",
            "a@example.com",
            "noreply@example.org",
            Some("Hi"),
            "Hello",
        ))
        .unwrap();
        assert_eq!(
            body,
            json!({
                "personalizations": [{"to": [{"email": "a@example.com"}]}],
                "from": {"email": "noreply@example.org"},
                "subject": "Hi",
                "content": [{"type": "text/plain", "value": "Hello"}],
                "custom_args": {"notification_id": "n-1"},
            })
        );
    }

    #[test]
    fn a_missing_or_empty_subject_gets_the_default() {
        for subject in [None, Some("")] {
            let body: serde_json::Value =
                serde_json::from_slice(&mail_send("n", "a@b.c", "f@b.c", subject, "x")).unwrap();
            assert_eq!(body["subject"], DEFAULT_SUBJECT);
        }
    }

    #[test]
    fn a_receipt_of_any_length_is_cut_short() {
        let long = "m".repeat(70_000);
        let receipt = receipt(&response(&[("x-message-id", &long)], ""));
        assert_eq!(receipt.len(), provider_kit::MAX_RECEIPT_CHARS);
    }

    #[test]
    fn the_receipt_is_the_message_id_header_then_a_body_id() {
        assert_eq!(receipt(&response(&[("x-message-id", "sg-1")], "")), "sg-1");
        assert_eq!(receipt(&response(&[], r#"{"id":"re-2"}"#)), "re-2");
        assert_eq!(
            receipt(&response(&[], r#"{"id":7,"messageId":"re-3"}"#)),
            "re-3"
        );
        assert_eq!(receipt(&response(&[], "")), "accepted (202)");
    }
}
