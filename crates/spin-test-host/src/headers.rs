//! The request headers Spin's HTTP trigger gives a component.
//!
//! Spin keeps every header of the request and appends:
//! - `spin-full-url`: `http://<Host header or "localhost"><path>?<query>`;
//! - `spin-path-info`: what the trailing `/...` matched (`/login`; empty
//!   for the bare prefix; the whole path for a chained request);
//! - `spin-matched-route`: the route, normalised (`/auth/...`);
//! - `spin-raw-component-route`: the route as written (`/auth/...`);
//! - `spin-component-route`: the route without `/...` (`/auth`);
//! - `spin-base-path`: always `/`;
//! - `spin-client-addr`: the peer address (`0.0.0.0:0` when chained);
//! - `spin-path-match-<name>` for each `:name` segment.

use std::net::SocketAddr;

use anyhow::Context as _;
use http::{HeaderMap, HeaderName, HeaderValue, Uri};

use crate::routing::RouteMatch;

/// Rewrites `headers` the way Spin's executor does: the original headers
/// (which must be valid UTF-8, or the request fails) followed by the Spin
/// headers. Header names Spin would produce that are not valid are skipped.
pub fn apply(
    headers: &mut HeaderMap,
    uri: &Uri,
    route: &RouteMatch,
    client_addr: SocketAddr,
) -> anyhow::Result<()> {
    let mut pairs = Vec::with_capacity(headers.len() + 8);
    for (name, value) in headers.iter() {
        let value = std::str::from_utf8(value.as_bytes())
            .with_context(|| format!("header {name} is not valid UTF-8"))?;
        pairs.push((name.to_string(), value.to_string()));
    }
    let host = match headers.get(http::header::HOST) {
        Some(h) => std::str::from_utf8(h.as_bytes())?.to_string(),
        None => "localhost".to_string(),
    };
    pairs.extend(spin_headers(uri, &host, route, client_addr));

    headers.clear();
    for (name, value) in pairs {
        let (Ok(name), Ok(value)) = (
            name.parse::<HeaderName>(),
            HeaderValue::from_bytes(value.as_bytes()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    Ok(())
}

/// The Spin headers alone, as `(lower-case name, value)`.
pub fn spin_headers(
    uri: &Uri,
    host: &str,
    route: &RouteMatch,
    client_addr: SocketAddr,
) -> Vec<(String, String)> {
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
    let scheme = uri.scheme_str().unwrap_or("http");
    let mut out = vec![
        ("spin-path-info".into(), route.path_info.clone()),
        (
            "spin-full-url".into(),
            format!("{scheme}://{host}{path_and_query}"),
        ),
        ("spin-matched-route".into(), route.based_route.clone()),
        ("spin-base-path".into(), "/".into()),
        ("spin-raw-component-route".into(), route.raw_route.clone()),
        (
            "spin-component-route".into(),
            route.raw_route_or_prefix().to_string(),
        ),
        ("spin-client-addr".into(), client_addr.to_string()),
    ];
    for (name, value) in &route.named_wildcards {
        out.push((
            format!("spin-path-match-{}", name.to_ascii_lowercase()),
            value.clone(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{HttpTrigger, Route};
    use crate::routing::Router;

    fn route(pattern: &str, path: &str) -> RouteMatch {
        let triggers = [HttpTrigger {
            component: "c".into(),
            route: Route::Path(pattern.into()),
        }];
        Router::build(&triggers).unwrap().0.route(path).unwrap()
    }

    fn get<'a>(h: &'a [(String, String)], name: &str) -> &'a str {
        &h.iter().find(|(n, _)| n == name).unwrap().1
    }

    #[test]
    fn values_for_a_prefix_route() {
        let uri: Uri = "https://fermyon.dev/foo/bar?key1=value1&key2=value2"
            .parse()
            .unwrap();
        let m = route("/foo/...", "/foo/bar");
        let h = spin_headers(&uri, "fermyon.dev", &m, "127.0.0.1:8777".parse().unwrap());
        assert_eq!(
            get(&h, "spin-full-url"),
            "https://fermyon.dev/foo/bar?key1=value1&key2=value2"
        );
        assert_eq!(get(&h, "spin-path-info"), "/bar");
        assert_eq!(get(&h, "spin-matched-route"), "/foo/...");
        assert_eq!(get(&h, "spin-base-path"), "/");
        assert_eq!(get(&h, "spin-raw-component-route"), "/foo/...");
        assert_eq!(get(&h, "spin-component-route"), "/foo");
        assert_eq!(get(&h, "spin-client-addr"), "127.0.0.1:8777");
    }

    #[test]
    fn named_wildcards_become_headers() {
        let uri: Uri = "http://h/foo/42/bar".parse().unwrap();
        let m = route("/foo/:userid/...", "/foo/42/bar");
        let h = spin_headers(&uri, "h", &m, "127.0.0.1:1".parse().unwrap());
        assert_eq!(get(&h, "spin-path-match-userid"), "42");
        assert_eq!(get(&h, "spin-component-route"), "/foo/:userid");
        assert_eq!(get(&h, "spin-path-info"), "/bar");
    }

    #[test]
    fn chained_requests_see_localhost_and_the_whole_path() {
        let uri: Uri = "http://auth.spin.internal/auth/verify".parse().unwrap();
        let m = RouteMatch::synthetic("auth", "/auth/verify");
        let mut headers = HeaderMap::new();
        headers.insert("x-request-id", "abc".parse().unwrap());
        apply(&mut headers, &uri, &m, "0.0.0.0:0".parse().unwrap()).unwrap();
        assert_eq!(headers["spin-full-url"], "http://localhost/auth/verify");
        assert_eq!(headers["spin-path-info"], "/auth/verify");
        assert_eq!(headers["spin-matched-route"], "/...");
        assert_eq!(headers["spin-component-route"], "");
        assert_eq!(headers["spin-client-addr"], "0.0.0.0:0");
        assert_eq!(headers["x-request-id"], "abc");
    }
}
