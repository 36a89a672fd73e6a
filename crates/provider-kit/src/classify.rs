//! How an HTTP API's answer maps onto the outcome of one attempt. Pure, so
//! it is tested natively.

/// The kind of outcome; the provider adds the receipt or the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Trying again will not help: the request, the address or the
    /// credentials were refused.
    Rejected,
    /// Trying again later may help.
    Unavailable,
}

/// 2xx: accepted. 408, 425, 429 and 5xx: busy or down, try later. Any other
/// status (400 bad address or content, 401/403 refused credentials, 404 a
/// wrong endpoint) is for good: a retry seconds later would get the same.
pub fn classify_status(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered,
        408 | 425 | 429 | 500..=599 => Verdict::Unavailable,
        _ => Verdict::Rejected,
    }
}

/// E.164: `+`, then 2 to 15 digits, the first not 0. The notification
/// service checks this too; a provider does not trust its caller.
pub fn is_e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (2..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_statuses_are_delivered() {
        for status in [200, 201, 202, 204] {
            assert_eq!(classify_status(status), Verdict::Delivered, "{status}");
        }
    }

    #[test]
    fn throttling_timeouts_and_server_errors_are_retryable() {
        for status in [408, 425, 429, 500, 502, 503, 504] {
            assert_eq!(classify_status(status), Verdict::Unavailable, "{status}");
        }
    }

    #[test]
    fn other_client_errors_and_redirects_are_permanent() {
        for status in [301, 400, 401, 403, 404, 413, 422] {
            assert_eq!(classify_status(status), Verdict::Rejected, "{status}");
        }
    }

    #[test]
    fn e164_numbers() {
        assert!(is_e164("+15551234567"));
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
}
