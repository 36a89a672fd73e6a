//! Whether `webhook_url` is a URL the webhook channel can post to: an http(s)
//! URL whose origin the component's allow-list (`webhook_origin`) admits.
//! Checked where the channel is looked up, so that a misconfigured URL makes
//! the channel unconfigured (`503`, nothing stored) instead of a delivery
//! that every attempt would fail the same way.

use http::Uri;

/// Why `webhook_url` cannot be posted to. The messages go to the operator's
/// log: they name the variables, never their values (a webhook URL often
/// carries a secret in its path or query).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookTargetError {
    #[error("webhook_url is not set")]
    Unset,
    #[error("webhook_url is not an http(s) URL with a host")]
    NotHttp,
    #[error("webhook_origin is not scheme://host[:port]")]
    MalformedOrigin,
    #[error("webhook_origin does not allow webhook_url's scheme, host or port")]
    NotAllowed,
}

/// `url` (trimmed) when it is an http(s) URL that `origin`, the pattern
/// Spin's `allowed_outbound_hosts` gets, allows.
pub fn webhook_target(url: &str, origin: &str) -> Result<String, WebhookTargetError> {
    let url = url.trim();
    if url.is_empty() {
        return Err(WebhookTargetError::Unset);
    }
    // The same parser the outbound call uses, so a URL that passes here is
    // one it can send to.
    let uri: Uri = url.parse().map_err(|_| WebhookTargetError::NotHttp)?;
    let scheme = match uri.scheme_str() {
        Some(scheme) if scheme.eq_ignore_ascii_case("http") => "http",
        Some(scheme) if scheme.eq_ignore_ascii_case("https") => "https",
        _ => return Err(WebhookTargetError::NotHttp),
    };
    let host = uri
        .host()
        .filter(|host| !host.is_empty())
        .ok_or(WebhookTargetError::NotHttp)?;
    let port = uri.port_u16().unwrap_or(default_port(scheme));
    let pattern = Origin::parse(origin.trim()).ok_or(WebhookTargetError::MalformedOrigin)?;
    if pattern.allows(scheme, host, port) {
        Ok(url.to_owned())
    } else {
        Err(WebhookTargetError::NotAllowed)
    }
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "https" { 443 } else { 80 }
}

/// One entry of Spin's allow-list, as far as webhooks need it:
/// `scheme://host[:port]`, where the scheme may be `*`, the host `*` or
/// `*.domain`, and the port `*` (absent: the scheme's default).
struct Origin<'a> {
    scheme: Option<&'a str>,
    host: Host<'a>,
    port: Port,
}

enum Host<'a> {
    Any,
    SubdomainOf(&'a str),
    Exactly(&'a str),
    /// An address range (`10.0.0.0/8`) or anything else Spin may know and
    /// this does not: left to Spin to decide, rather than refuse a
    /// configuration that works.
    LeftToSpin,
}

enum Port {
    Any,
    Exactly(u16),
    LeftToSpin,
}

impl<'a> Origin<'a> {
    fn parse(origin: &'a str) -> Option<Self> {
        let (scheme, rest) = origin.split_once("://")?;
        let scheme = match scheme {
            "*" => None,
            s if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https") => Some(s),
            _ => return None,
        };
        let (host, port) = split_port(rest)?;
        let host = match host {
            "" => return None,
            "*" => Host::Any,
            h if h.contains('/') => Host::LeftToSpin,
            h => match h.strip_prefix("*.") {
                Some(domain) if !domain.is_empty() && !domain.contains('*') => {
                    Host::SubdomainOf(domain)
                }
                Some(_) => return None,
                None if h.contains('*') => return None,
                None => Host::Exactly(h),
            },
        };
        let port = match (port, scheme) {
            (Some("*"), _) => Port::Any,
            (Some(p), _) if p.contains("..") => Port::LeftToSpin,
            (Some(p), _) => Port::Exactly(p.parse().ok()?),
            (None, Some(scheme)) => Port::Exactly(default_port(&scheme.to_ascii_lowercase())),
            // `*://host` names no port Spin could default to.
            (None, None) => return None,
        };
        Some(Self { scheme, host, port })
    }

    fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let scheme_ok = self
            .scheme
            .is_none_or(|allowed| allowed.eq_ignore_ascii_case(scheme));
        let host_ok = match self.host {
            Host::Any | Host::LeftToSpin => true,
            Host::Exactly(allowed) => allowed.eq_ignore_ascii_case(host),
            Host::SubdomainOf(domain) => {
                host.len().checked_sub(domain.len() + 1).is_some_and(|dot| {
                    host.as_bytes()[dot] == b'.' && host[dot + 1..].eq_ignore_ascii_case(domain)
                })
            }
        };
        let port_ok = match self.port {
            Port::Any | Port::LeftToSpin => true,
            Port::Exactly(allowed) => allowed == port,
        };
        scheme_ok && host_ok && port_ok
    }
}

/// `host[:port]`, with an IPv6 host in brackets; a path is malformed (Spin
/// refuses one in the allow-list).
fn split_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(v6) = authority.strip_prefix('[') {
        let (inside, after) = v6.split_once(']')?;
        let host = &authority[..inside.len() + 2];
        return match after {
            "" => Some((host, None)),
            after => Some((host, Some(after.strip_prefix(':')?))),
        };
    }
    if authority.contains('/') && !looks_like_a_range(authority) {
        return None;
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host, Some(port))),
        None => Some((authority, None)),
    }
}

/// `10.0.0.0/8` (and its port): an address range, not a path.
fn looks_like_a_range(authority: &str) -> bool {
    let host = authority.split(':').next().unwrap_or_default();
    host.split_once('/').is_some_and(|(address, bits)| {
        address.parse::<std::net::IpAddr>().is_ok() && bits.parse::<u8>().is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use WebhookTargetError::*;

    fn check(url: &str, origin: &str) -> Result<String, WebhookTargetError> {
        webhook_target(url, origin)
    }

    #[test]
    fn a_url_within_its_origin_is_the_target() {
        let cases = [
            (
                "https://hooks.example.com/seed?t=1",
                "https://hooks.example.com",
            ),
            (
                "https://hooks.example.com:443/seed",
                "https://hooks.example.com",
            ),
            ("http://127.0.0.1:8089/hook", "http://127.0.0.1:8089"),
            ("HTTPS://Hooks.Example.com/x", "https://hooks.example.com"),
            (
                "https://a.hooks.example.com/x",
                "https://*.hooks.example.com",
            ),
            ("http://hooks.example.com:9000/x", "*://hooks.example.com:*"),
            ("https://anything.test/x", "https://*"),
            ("http://[::1]:8080/x", "http://[::1]:8080"),
            ("http://10.1.2.3:8080/x", "http://10.0.0.0/8:8080"),
        ];
        for (url, origin) in cases {
            assert_eq!(check(url, origin).as_deref(), Ok(url), "{url} in {origin}");
        }
        assert_eq!(
            check("  https://h.example/x \n", "https://h.example").as_deref(),
            Ok("https://h.example/x")
        );
    }

    #[test]
    fn an_empty_url_is_unset() {
        assert_eq!(check("", "https://webhook.invalid"), Err(Unset));
        assert_eq!(check("   ", "https://webhook.invalid"), Err(Unset));
    }

    #[test]
    fn a_url_that_is_not_http_with_a_host_is_refused() {
        for url in [
            "ftp://hooks.example.com/x",
            "hooks.example.com/x",
            "/hook",
            "not a url",
            "https://",
            "mailto:ops@example.com",
        ] {
            assert_eq!(check(url, "*://*:*"), Err(NotHttp), "{url}");
        }
    }

    #[test]
    fn a_url_outside_its_origin_is_not_allowed() {
        let cases = [
            // The default origin, left as it is.
            ("https://hooks.example.com/x", "https://webhook.invalid"),
            ("http://hooks.example.com/x", "https://hooks.example.com"),
            (
                "https://hooks.example.com:8443/x",
                "https://hooks.example.com",
            ),
            ("https://evil.example.com/x", "https://hooks.example.com"),
            ("https://hooks.example.com/x", "https://*.hooks.example.com"),
            (
                "https://xhooks.example.com/x",
                "https://*.hooks.example.com",
            ),
            ("http://127.0.0.1:8090/hook", "http://127.0.0.1:8089"),
        ];
        for (url, origin) in cases {
            assert_eq!(check(url, origin), Err(NotAllowed), "{url} in {origin}");
        }
    }

    #[test]
    fn an_origin_spin_would_not_take_is_malformed() {
        for origin in [
            "",
            "hooks.example.com",
            "https://hooks.example.com/seed",
            "https://hooks.example.com:port",
            "ftp://hooks.example.com",
            "*://hooks.example.com",
            "https://hooks.*.com",
        ] {
            assert_eq!(
                check("https://hooks.example.com/x", origin),
                Err(MalformedOrigin),
                "{origin:?}"
            );
        }
    }

    #[test]
    fn reasons_never_carry_the_url() {
        let url = "ftp://user:secret@hooks.example.com/token-123";
        let reason = check(url, "https://hooks.example.com")
            .unwrap_err()
            .to_string();
        assert!(
            !reason.contains("secret") && !reason.contains("token-123"),
            "{reason}"
        );
    }
}
