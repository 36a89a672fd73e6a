//! The OpenAPI documents and the interactive docs page.

use e2e::*;

#[tokio::test(flavor = "multi_thread")]
async fn each_service_serves_its_openapi_document() {
    let app = spawn_app().await;
    let mut schemes = Vec::new();
    for (service, must_have) in [
        (
            "auth",
            vec![
                ("post", "/register"),
                ("post", "/login"),
                ("post", "/logout"),
                ("get", "/me"),
                ("get", "/health"),
            ],
        ),
        (
            "analytics",
            vec![
                ("post", "/events"),
                ("get", "/metrics/actions"),
                ("get", "/metrics/user/{user_id}/actions"),
                ("get", "/health"),
            ],
        ),
        (
            "notification",
            vec![
                ("post", "/notify"),
                ("get", "/notifications/{notification_id}"),
                ("get", "/users/{user_id}/notifications"),
                ("get", "/health"),
            ],
        ),
    ] {
        let r = app
            .get_with(&format!("/{service}/openapi.json"), Cred::None)
            .await;
        r.assert_status(200);
        assert!(
            r.header("content-type")
                .unwrap_or("")
                .starts_with("application/json"),
            "{service} openapi content-type"
        );
        let doc = &r.json;
        assert!(
            doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
            "{service}: openapi version {}",
            doc["openapi"]
        );
        assert!(doc["info"]["title"].is_string(), "{service}: info.title");
        let paths = doc["paths"]
            .as_object()
            .unwrap_or_else(|| panic!("{service}: no paths"));
        for (method, p) in must_have {
            // Full paths, or paths relative to a `servers` entry of the prefix.
            let item = paths
                .get(&format!("/{service}{p}"))
                .or_else(|| paths.get(p))
                .unwrap_or_else(|| {
                    panic!(
                        "{service}: no path {p} in {:?}",
                        paths.keys().collect::<Vec<_>>()
                    )
                });
            assert!(
                item.get(method).is_some(),
                "{service}: {p} has no {method} operation"
            );
        }
        if let Some(s) = doc["components"]["securitySchemes"].as_object() {
            schemes.extend(s.values().cloned());
        }
    }
    assert!(
        schemes.iter().any(|s| s["type"] == "http"
            && s["scheme"]
                .as_str()
                .is_some_and(|v| v.eq_ignore_ascii_case("bearer"))),
        "no bearer scheme declared: {schemes:?}"
    );
    assert!(
        schemes.iter().any(|s| s["type"] == "apiKey"
            && s["in"] == "header"
            && s["name"]
                .as_str()
                .is_some_and(|v| v.eq_ignore_ascii_case("x-internal-key"))),
        "no X-Internal-Key scheme declared: {schemes:?}"
    );
}

/// Every `src="…"` and `href="…"` in an HTML page.
fn references(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=", "href="] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let quote = match rest.chars().next() {
                Some(q @ ('"' | '\'')) => q,
                _ => continue,
            };
            if let Some(end) = rest[1..].find(quote) {
                out.push(rest[1..1 + end].to_string());
                rest = &rest[1 + end..];
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_docs_page_is_self_contained_and_shows_all_three_services() {
    let app = spawn_app().await;
    let resp = app.get("/docs").send().await.expect("GET /docs");
    let page_url = resp.url().clone();
    let r = Reply::read(resp).await;
    r.assert_status(200);
    assert!(
        r.header("content-type")
            .unwrap_or("")
            .starts_with("text/html"),
        "content-type {:?}",
        r.header("content-type")
    );
    // What a browser needs to keep the page to itself: scripts only from
    // this origin, no framing, no sniffing, and no stale copy.
    let policy = r.header("content-security-policy").unwrap_or("");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(
            policy.contains(directive),
            "content-security-policy {policy:?}"
        );
    }
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    let html = &r.text;
    let refs = references(html);
    for rf in &refs {
        let lower = rf.to_ascii_lowercase();
        assert!(
            !(lower.starts_with("http://")
                || lower.starts_with("https://")
                || lower.starts_with("//")),
            "the docs page loads {rf} from elsewhere"
        );
    }
    // Its own assets are served by the app.
    let mut assets = 0;
    for rf in refs
        .iter()
        .filter(|r| !r.starts_with('#') && !r.starts_with("data:") && !r.starts_with("mailto:"))
    {
        let url = page_url.join(rf).expect("asset url");
        let asset = Reply::read(app.client.get(url.clone()).send().await.expect("asset")).await;
        assert_eq!(asset.status, 200, "asset {url}");
        assert_eq!(
            asset.header("x-content-type-options"),
            Some("nosniff"),
            "{url}"
        );
        let content_type = asset.header("content-type").unwrap_or("");
        let expected = match url.path().rsplit('.').next() {
            Some("js") => "text/javascript",
            Some("css") => "text/css",
            Some("png") => "image/png",
            other => panic!("an asset of an unexpected kind, {other:?}: {url}"),
        };
        assert!(content_type.starts_with(expected), "{url}: {content_type}");
        // Swagger UI's files change only with the version in their name;
        // the project's own initializer with every deployment.
        let cache = asset.header("cache-control").unwrap_or("");
        if url.path().contains("swagger-ui") {
            assert!(cache.contains("immutable"), "{url}: {cache}");
        } else {
            assert_eq!(cache, "no-cache", "{url}");
        }
        assets += 1;
    }
    assert!(assets > 0, "the page loads no assets of its own: {html}");

    // The page (or its own scripts) name all three documents.
    let mut text = html.clone();
    for rf in refs.iter().filter(|r| r.ends_with(".js")) {
        let url = page_url.join(rf).expect("asset url");
        text.push_str(
            &app.client
                .get(url)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
    }
    for doc in [
        "/auth/openapi.json",
        "/analytics/openapi.json",
        "/notification/openapi.json",
    ] {
        assert!(text.contains(doc), "the docs page does not show {doc}");
    }
    // Credentials typed into the page are not kept in the browser's storage.
    assert!(
        text.contains("persistAuthorization: false"),
        "the docs page keeps credentials"
    );
}
