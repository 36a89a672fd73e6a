//! The HTML page and its initializer script.

/// The directory, relative to the page, that holds Swagger UI's files.
pub fn vendor_dir() -> String {
    format!("swagger-ui-{}", crate::assets::VERSION)
}

/// The page for a request to `path`. Its links to its own files are
/// relative, written so that `/docs` and `/docs/` both resolve them under
/// `/docs/`. The services' documents, and the calls "Try it out" makes, are
/// at the origin's root (`/auth/openapi.json`, `/auth/login`), where the
/// app serves them: behind a proxy that mounts the app under a prefix the
/// page loads, but not its documents.
pub fn html(path: &str) -> String {
    let base = if path.ends_with('/') {
        String::new()
    } else {
        let last_segment = path.rsplit('/').next().unwrap_or_default();
        format!("{last_segment}/")
    };
    include_str!("page.html")
        .replace("{base}", &base)
        .replace("{vendor}", &vendor_dir())
}

/// Starts Swagger UI with the three services' documents.
pub const INITIALIZER: &str = include_str!("docs.js");
