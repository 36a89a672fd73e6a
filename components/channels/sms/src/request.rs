//! The request body and the receipt, apart from the transport so they are
//! tested natively.

use provider_kit::{Members, OutboundResponse};
use serde_json::json;

/// E.164: `+`, then 2 to 15 digits, the first not 0. The notification
/// service checks this too; a provider does not trust its caller.
pub fn is_e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (2..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

pub fn message(from: &str, to: &str, text: &str) -> Vec<u8> {
    let body = json!({"from": from, "to": to, "text": text});
    serde_json::to_vec(&body).expect("JSON values always serialize")
}

/// Telnyx answers `{"data": {"id": …}}`; other gateways a top-level `id`
/// or `sid`. Without any, the status says at least that it was taken.
pub fn receipt(response: &OutboundResponse) -> String {
    let found = Members::parse(&response.body).and_then(|body| {
        let data_id = body.object("data").and_then(|data| data.text("id"));
        data_id.or_else(|| {
            ["id", "sid", "message_id"]
                .iter()
                .find_map(|name| body.text(name))
        })
    });
    provider_kit::receipt(found, response.status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(body: &str) -> OutboundResponse {
        OutboundResponse {
            status: 200,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn e164_numbers() {
        // The shortest and the longest the notification service accepts.
        for good in ["+15551234567", "+12", "+123456789012345"] {
            assert!(is_e164(good), "{good:?}");
        }
        for bad in [
            "",
            "+",
            "+1",
            "15551234567",
            "+0155",
            "+1 555",
            "+1234567890123456",
        ] {
            assert!(!is_e164(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_body_has_from_to_and_text_only() {
        let body: serde_json::Value =
            serde_json::from_slice(&message("+15550001111", "+15551234567", "Hi")).unwrap();
        assert_eq!(
            body,
            json!({"from": "+15550001111", "to": "+15551234567", "text": "Hi"})
        );
    }

    #[test]
    fn the_receipt_is_the_gateways_message_id() {
        assert_eq!(receipt(&response(r#"{"data":{"id":"tx-1"}}"#)), "tx-1");
        assert_eq!(receipt(&response(r#"{"sid":"SM2"}"#)), "SM2");
        assert_eq!(
            receipt(&response(r#"{"data":{"id":5},"id":"tx-3"}"#)),
            "tx-3"
        );
        assert_eq!(receipt(&response("not json")), "accepted (200)");
    }
}
