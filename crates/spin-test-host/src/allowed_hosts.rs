//! `allowed_outbound_hosts`: parsing and matching with Spin's rules.
//!
//! Entries look like `scheme://host[:port]`, each part possibly `*`, hosts
//! possibly `*.domain`, an IP or CIDR, or `self`; ports possibly a range
//! `a..b` (end exclusive). A missing port means the scheme's well-known
//! port. Entries may be `{{ variable }}` templates, which Spin resolves with
//! the application variables; at load it also checks each template with the
//! *default* values, so a default that is not a valid host (such as `""`)
//! stops the app from loading. At request time one unparsable entry makes
//! the whole list unusable and every request is denied.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::ops::Range;

use anyhow::{Context as _, bail, ensure};
use url::Host;

use crate::variables::{AppVariable, ResolvedVariables, Template, render_with_defaults};

/// The domain used for service chaining (`http://<component>.spin.internal`).
pub const SERVICE_CHAINING_DOMAIN: &str = "spin.internal";

/// A parsed, resolved `allowed_outbound_hosts` list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    hosts: Vec<AllowedHost>,
}

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    scheme: Option<String>,
    host: HostPattern,
    port: PortPattern,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    AnySubdomain(String),
    ToSelf,
    Literal(Host),
    Cidr(IpAddr, u8),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortPattern {
    Any,
    One(u16),
    Range(Range<u16>),
}

const LEARN_MORE: &str = "Learn more: https://spinframework.dev/v3/http-outbound#granting-http-permissions-to-components";

impl AllowedHost {
    /// Parses one literal entry.
    pub fn parse(entry: &str) -> anyhow::Result<Self> {
        let url = entry.trim();
        let Some((scheme, rest)) = url.split_once("://") else {
            if matches!(url, "*" | ":" | "" | "?") {
                bail!(
                    "{url:?} is not an allowed outbound host format.\nHosts must be in the form <scheme>://<host>[:<port>], with '*' wildcards allowed for each.\nIf you intended to allow all outbound networking, you can use '*://*:*' - this will obviate all network sandboxing.\n{LEARN_MORE}"
                );
            }
            bail!("{url:?} does not contain a scheme (e.g., 'http://' or '*://')\n{LEARN_MORE}");
        };
        let (host, rest) = rest.rsplit_once(':').unwrap_or((rest, ""));
        let port = match rest.split_once('/') {
            Some((port, path)) => {
                ensure!(path.is_empty(), "{url:?} has a path but is not allowed to");
                port
            }
            None => rest,
        };
        let port = parse_port(port, scheme)
            .with_context(|| format!("Invalid allowed host port {port:?}"))?;
        let scheme = parse_scheme(scheme)
            .with_context(|| format!("Invalid allowed host scheme {scheme:?}"))?;
        let host = parse_host(host).with_context(|| format!("Invalid allowed host {host:?}"))?;
        Ok(Self { scheme, host, port })
    }

    fn allows(&self, url: &OutboundUrl) -> bool {
        self.scheme.as_deref().is_none_or(|s| s == url.scheme)
            && self.host.allows(&url.host)
            && self
                .port
                .allows(url.port.or_else(|| well_known_port(&url.scheme)))
    }

    fn allows_relative(&self, schemes: &[&str]) -> bool {
        schemes
            .iter()
            .any(|s| self.scheme.as_deref().is_none_or(|own| own == *s))
            && matches!(self.host, HostPattern::Any | HostPattern::ToSelf)
    }
}

fn parse_scheme(scheme: &str) -> anyhow::Result<Option<String>> {
    if scheme == "*" {
        return Ok(None);
    }
    ensure!(!scheme.starts_with('{'), "scheme lists are not supported");
    ensure!(
        scheme.chars().all(char::is_alphabetic),
        "only alphabetic characters are allowed"
    );
    Ok(Some(scheme.to_string()))
}

fn parse_host(host: &str) -> anyhow::Result<HostPattern> {
    let host = host.trim();
    if host == "*" {
        return Ok(HostPattern::Any);
    }
    if host == "self" || host == "self.alt" {
        return Ok(HostPattern::ToSelf);
    }
    if host.starts_with('{') {
        bail!("host lists are not yet supported");
    }
    if let Some(net) = parse_cidr(host) {
        return Ok(net);
    }
    let host = host.trim_end_matches('/');
    ensure!(!host.contains('/'), "must not include a path");
    if let Some(domain) = host.strip_prefix("*.") {
        ensure!(
            !domain.contains('*'),
            "wildcards are allowed only as prefixes"
        );
        return Ok(HostPattern::AnySubdomain(format!(".{domain}")));
    }
    ensure!(
        !host.contains('*'),
        "wildcards are allowed only as subdomains"
    );
    Ok(HostPattern::Literal(Host::parse(host)?))
}

/// An IP address or `addr/prefix` network; host bits are truncated.
fn parse_cidr(host: &str) -> Option<HostPattern> {
    let (addr, prefix) = match host.split_once('/') {
        Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
        None => (host.parse::<IpAddr>().ok()?, None),
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = prefix.unwrap_or(max);
    if prefix > max {
        return None;
    }
    Some(HostPattern::Cidr(addr, prefix))
}

fn same_network(a: IpAddr, b: IpAddr, prefix: u8) -> bool {
    let mask = |bits: u32, len: u8| -> u128 {
        if len == 0 {
            0
        } else {
            (!0u128) << (bits - u32::from(len))
        }
    };
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let m = mask(32, prefix) as u32;
            u32::from(a) & m == u32::from(b) & m
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let m = mask(128, prefix);
            u128::from(a) & m == u128::from(b) & m
        }
        _ => false,
    }
}

impl HostPattern {
    fn allows(&self, host: &str) -> bool {
        let Ok(host) = Host::parse(host) else {
            return false;
        };
        match (self, host) {
            (HostPattern::Any, _) => true,
            (HostPattern::AnySubdomain(suffix), Host::Domain(d)) => d.ends_with(suffix.as_str()),
            (HostPattern::Literal(l), h) => h == *l,
            (HostPattern::Cidr(net, p), Host::Ipv4(ip)) => same_network(*net, ip.into(), *p),
            (HostPattern::Cidr(net, p), Host::Ipv6(ip)) => same_network(*net, ip.into(), *p),
            _ => false,
        }
    }
}

fn parse_port(port: &str, scheme: &str) -> anyhow::Result<PortPattern> {
    if port.is_empty() {
        return well_known_port(scheme).map(PortPattern::One).with_context(|| {
            format!("no port was provided and the scheme {scheme:?} does not have a known default port number")
        });
    }
    if port == "*" {
        return Ok(PortPattern::Any);
    }
    ensure!(!port.starts_with('{'), "port lists are not yet supported");
    if let Some((start, end)) = port.split_once("..") {
        let start = start
            .parse()
            .with_context(|| format!("port range {port:?} contains non-number"))?;
        let end = end
            .parse()
            .with_context(|| format!("port range {port:?} contains non-number"))?;
        return Ok(PortPattern::Range(start..end));
    }
    Ok(PortPattern::One(port.parse().with_context(|| {
        format!("port {port:?} is not a number")
    })?))
}

impl PortPattern {
    fn allows(&self, port: Option<u16>) -> bool {
        match (self, port) {
            (PortPattern::Any, _) => true,
            (_, None) => false,
            (PortPattern::One(p), Some(port)) => *p == port,
            (PortPattern::Range(r), Some(port)) => r.contains(&port),
        }
    }
}

fn well_known_port(scheme: &str) -> Option<u16> {
    match scheme {
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "redis" => Some(6379),
        "mqtt" => Some(1883),
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// A URL being checked: scheme, host and explicit (non-default) port.
struct OutboundUrl {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl OutboundUrl {
    /// Like Spin: parse as a URL, else retry with `{scheme}://` prefixed.
    fn parse(url: &str, scheme: &str) -> Option<Self> {
        let parsed = match url::Url::parse(url) {
            Ok(u) if u.has_host() => u,
            _ => url::Url::parse(&format!("{scheme}://{url}")).ok()?,
        };
        Some(Self {
            scheme: parsed.scheme().to_string(),
            host: parsed.host_str()?.to_string(),
            port: parsed.port(),
        })
    }
}

impl AllowedHosts {
    /// Resolves templates with the app's variable values and parses every
    /// entry; any failure fails the whole list, as in Spin.
    pub fn resolve(entries: &[String], vars: &ResolvedVariables) -> anyhow::Result<Self> {
        check_not_allow_all(entries)?;
        let hosts = entries
            .iter()
            .map(|e| {
                let text = vars.render(&Template::parse(e)?)?;
                AllowedHost::parse(&text)
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { hosts })
    }

    /// Whether a request to `url` is allowed (`default_scheme` applies to a
    /// URL given without one).
    pub fn allows_url(&self, url: &str, default_scheme: &str) -> bool {
        match OutboundUrl::parse(url, default_scheme) {
            Some(url) => self.hosts.iter().any(|h| h.allows(&url)),
            None => false,
        }
    }

    /// Whether relative ("self") requests are allowed for one of `schemes`.
    pub fn allows_relative(&self, schemes: &[&str]) -> bool {
        self.hosts.iter().any(|h| h.allows_relative(schemes))
    }
}

fn check_not_allow_all(entries: &[String]) -> anyhow::Result<()> {
    ensure!(
        !(entries.len() == 1 && entries[0] == "insecure:allow-all"),
        "'insecure:allow-all' is not allowed - use '*://*:*' instead if you really want to allow all outbound traffic'"
    );
    Ok(())
}

/// The load-time check: literal entries must parse, and templates whose
/// variables all have defaults must parse once rendered with them.
pub fn validate(entries: &[String], app: &BTreeMap<String, AppVariable>) -> anyhow::Result<()> {
    check_not_allow_all(entries)?;
    for entry in entries {
        let template = Template::parse(entry)?;
        if template.is_literal() {
            AllowedHost::parse(entry)?;
            continue;
        }
        for name in template.variables() {
            ensure!(
                app.contains_key(name),
                "invalid variable template: unknown variable {name:?}"
            );
        }
        if let Some(resolved) = render_with_defaults(&template, app) {
            AllowedHost::parse(&resolved).with_context(|| {
                format!("using default variable value(s) with template \"{template}\" results in invalid config {resolved:?}")
            })?;
        }
    }
    Ok(())
}

/// The component id of a `http://<id>.spin.internal[:port]` authority host.
pub fn service_chaining_target(host: &str) -> Option<&str> {
    let host = host.trim();
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let (first, rest) = host.split_once('.')?;
    (rest == SERVICE_CHAINING_DOMAIN).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variables::Providers;

    fn hosts(entries: &[&str]) -> AllowedHosts {
        let entries: Vec<String> = entries.iter().map(|s| s.to_string()).collect();
        AllowedHosts::resolve(&entries, &ResolvedVariables::default()).unwrap()
    }

    #[test]
    fn literal_entries_match_scheme_host_and_port() {
        let h = hosts(&["http://auth.spin.internal", "https://example.com:8443"]);
        assert!(h.allows_url("http://auth.spin.internal/verify", "https"));
        assert!(h.allows_url("http://AUTH.spin.internal:80/x", "https"));
        assert!(!h.allows_url("https://auth.spin.internal/verify", "https"));
        assert!(!h.allows_url("http://auth.spin.internal:8080/", "https"));
        assert!(h.allows_url("https://example.com:8443/", "https"));
        assert!(!h.allows_url("https://example.com/", "https"));
        assert!(!h.allows_url("http://analytics.spin.internal/", "https"));
    }

    #[test]
    fn wildcards_ranges_and_networks() {
        let h = hosts(&[
            "*://*.example.com:*",
            "http://127.0.0.1:8000..8002",
            "http://10.0.0.0/8",
        ]);
        assert!(h.allows_url("https://api.example.com:1234/", "https"));
        assert!(!h.allows_url("https://example.com/", "https"));
        assert!(h.allows_url("http://127.0.0.1:8001/", "https"));
        assert!(!h.allows_url("http://127.0.0.1:8002/", "https"));
        assert!(h.allows_url("http://10.1.2.3/", "https"));
        let any = hosts(&["*://*:*"]);
        assert!(any.allows_url("http://anything:1/", "https"));
        assert!(any.allows_relative(&["http"]));
        assert!(hosts(&["http://self"]).allows_relative(&["http", "https"]));
        assert!(!hosts(&["http://x.com"]).allows_relative(&["http", "https"]));
    }

    #[test]
    fn malformed_entries_are_errors() {
        for bad in [
            "",
            "*",
            "example.com",
            "http://example.com/path",
            "http://a*b.com",
            "ftp://x.com",
        ] {
            assert!(AllowedHost::parse(bad).is_err(), "{bad:?}");
        }
        assert!(AllowedHost::parse("http://example.com/").is_ok());
        let single = vec!["insecure:allow-all".to_string()];
        assert!(AllowedHosts::resolve(&single, &ResolvedVariables::default()).is_err());
    }

    #[test]
    fn templates_resolve_with_current_values() {
        let app = BTreeMap::from([(
            "back".to_string(),
            AppVariable {
                default: Some("http://back.spin.internal".into()),
                secret: false,
            },
        )]);
        let entries = vec!["{{ back }}".to_string()];
        let defaults = ResolvedVariables::resolve(&app, [], &Providers::default()).unwrap();
        let h = AllowedHosts::resolve(&entries, &defaults).unwrap();
        assert!(h.allows_url("http://back.spin.internal/x", "https"));

        let mut providers = Providers::default();
        providers
            .environment
            .insert("back".into(), "http://127.0.0.1:9000".into());
        let overridden = ResolvedVariables::resolve(&app, [], &providers).unwrap();
        let h = AllowedHosts::resolve(&entries, &overridden).unwrap();
        assert!(h.allows_url("http://127.0.0.1:9000/x", "https"));
        assert!(!h.allows_url("http://back.spin.internal/x", "https"));
    }

    #[test]
    fn an_empty_value_at_run_time_fails_the_whole_list() {
        let app = BTreeMap::from([
            (
                "a".to_string(),
                AppVariable {
                    default: Some("http://a.spin.internal".into()),
                    secret: false,
                },
            ),
            (
                "hook".to_string(),
                AppVariable {
                    default: None,
                    secret: false,
                },
            ),
        ]);
        let mut providers = Providers::default();
        providers.environment.insert("hook".into(), String::new());
        let vars = ResolvedVariables::resolve(&app, [], &providers).unwrap();
        let entries = vec!["{{ a }}".to_string(), "{{ hook }}".to_string()];
        assert!(AllowedHosts::resolve(&entries, &vars).is_err());
        // ...while the load-time check cannot see it (no default to try).
        validate(&entries, &app).unwrap();
    }

    #[test]
    fn service_chaining_hosts() {
        assert_eq!(service_chaining_target("auth.spin.internal"), Some("auth"));
        assert_eq!(
            service_chaining_target("auth.spin.internal:80"),
            Some("auth")
        );
        assert_eq!(service_chaining_target("a.b.spin.internal"), None);
        assert_eq!(service_chaining_target("example.com"), None);
    }
}
