//! The interactive docs in a real browser: the page loads all its assets
//! from the app, lists every operation of the three services, and sends
//! requests ("Try it out"), with credentials from "Authorize".

use docs_browser::{App, Browser, PATIENCE, wait_until};
use fantoccini::Locator;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;

const SERVICES: [&str; 3] = ["auth", "analytics", "notification"];

#[tokio::test(flavor = "multi_thread")]
async fn the_docs_page_shows_the_three_services_and_sends_requests() {
    let app = Arc::new(App::start().await);
    let browser = Arc::new(Browser::launch().await);
    // Run the checks in a task so that a failure still closes the browser.
    let outcome = tokio::spawn(check_docs(app.clone(), browser.clone())).await;
    if let Some(browser) = Arc::into_inner(browser) {
        browser.close().await;
    }
    if let Some(app) = Arc::into_inner(app) {
        app.shutdown().await;
    }
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}

async fn check_docs(app: Arc<App>, browser: Arc<Browser>) {
    let base = app.base_url();

    // Both spellings of the page resolve its relative asset links.
    for page in ["/docs/", "/docs"] {
        open(&browser, &format!("{base}{page}")).await;
        assert_assets_loaded(&browser, &base, page).await;
    }

    for service in SERVICES {
        show_service(&browser, service).await;
    }

    // The last service shown is notification: call its health endpoint.
    let health = operation(&browser, "/notification/health").await;
    let (status, body) = try_it_out(&health, &[]).await;
    assert_eq!(
        status, "200",
        "GET /notification/health from the page: {body}"
    );
    let report: Value = serde_json::from_str(&body).expect("a JSON health report");
    assert_eq!(report["status"], "ok", "{body}");
    assert_eq!(report["service"], "notification", "{body}");
    assert_eq!(report["checks"], json!({"kv": "ok"}), "{body}");

    // A protected endpoint works once the internal key is authorized.
    authorize_internal_key(&browser, &app.internal_key).await;
    let listing = operation(&browser, "/notification/users/{user_id}/notifications").await;
    let (status, body) = try_it_out(&listing, &[("user_id", "docs-browser")]).await;
    assert_eq!(status, "200", "the listing with the internal key: {body}");
    // The app's stores are new: the user has no notifications.
    let listing: Value = serde_json::from_str(&body).expect("a JSON listing");
    assert_eq!(
        listing,
        json!({"user_id": "docs-browser", "notifications": []}),
        "{body}"
    );

    assert_assets_loaded(&browser, &base, "/docs after the calls").await;
    assert_no_failed_requests_in_the_host_logs(&app);
}

async fn open(browser: &Browser, url: &str) {
    browser.client.goto(url).await.expect("open the docs page");
    wait_until("Swagger UI to start (window.ui)", || async {
        browser
            .eval("return typeof window.ui === 'object' && window.ui !== null;")
            .await
            == true
    })
    .await;
    wait_until("the first document's operations", || async {
        browser
            .eval("return document.querySelectorAll('.opblock').length;")
            .await
            .as_u64()
            > Some(0)
    })
    .await;
}

/// No error in the page or its console, and every resource it loaded came
/// from the app with a 200.
async fn assert_assets_loaded(browser: &Browser, base: &str, page: &str) {
    let errors = browser.page_errors().await;
    assert!(errors.is_empty(), "errors in {page}: {errors:#?}");
    let console = browser.console_errors().await;
    assert!(console.is_empty(), "console errors in {page}: {console:#?}");

    let resources = browser
        .eval(
            "return performance.getEntriesByType('resource')
                .map(e => ({name: e.name, status: e.responseStatus, type: e.initiatorType}));",
        )
        .await;
    let resources = resources.as_array().expect("a list of resources");
    let scripts = resources.iter().filter(|r| r["type"] == "script").count();
    assert!(scripts >= 3, "the page loads its scripts: {resources:#?}");
    for resource in resources {
        let name = resource["name"].as_str().unwrap_or_default();
        assert!(
            name.starts_with(base),
            "{page} loaded {name} from outside the app"
        );
        assert_eq!(resource["status"], 200, "{page} loaded {name}: {resource}");
    }
}

/// Switches the definition selector to `service` and checks that the page
/// lists exactly the operations of its OpenAPI document.
async fn show_service(browser: &Browser, service: &str) {
    let selector = browser
        .client
        .find(Locator::Css("#select"))
        .await
        .expect("the definition selector");
    selector
        .select_by_label(service)
        .await
        .unwrap_or_else(|e| panic!("select {service}: {e}"));

    let document = browser
        .eval(&format!(
            "return fetch('/{service}/openapi.json').then(r => r.json());"
        ))
        .await;
    let expected = operations_of(&document);
    assert!(!expected.is_empty(), "{service}'s document has operations");

    let shown_script = "return Array.from(document.querySelectorAll('.opblock')).map(op =>
        op.querySelector('.opblock-summary-method').textContent.toLowerCase() + ' ' +
        op.querySelector('[data-path]').getAttribute('data-path'));";
    wait_until(&format!("{service}'s operations on the page"), || async {
        shown(browser, shown_script).await == expected
    })
    .await;
}

async fn shown(browser: &Browser, script: &str) -> BTreeSet<String> {
    serde_json::from_value(browser.eval(script).await).unwrap_or_default()
}

/// `"<method> <path>"` for every operation of an OpenAPI document.
fn operations_of(document: &Value) -> BTreeSet<String> {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    document["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|method| item.get(**method).is_some())
                .map(move |method| format!("{method} {path}"))
        })
        .collect()
}

/// The operation block for `path` on the current document.
async fn operation(browser: &Browser, path: &str) -> fantoccini::elements::Element {
    let xpath = format!(
        "//*[@data-path='{path}']/ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' opblock ')]"
    );
    browser
        .client
        .find(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("the operation {path}: {e}"))
}

/// Expands `operation`, presses "Try it out", fills `params` and presses
/// "Execute"; returns the status and body the page shows.
async fn try_it_out(
    operation: &fantoccini::elements::Element,
    params: &[(&str, &str)],
) -> (String, String) {
    operation
        .find(Locator::Css(".opblock-summary-control"))
        .await
        .expect("the operation's summary")
        .click()
        .await
        .expect("expand the operation");
    let try_out = wait_for_in(operation, ".try-out__btn").await;
    try_out.click().await.expect("press Try it out");
    for (name, value) in params {
        let input = wait_for_in(operation, &format!("tr[data-param-name='{name}'] input")).await;
        input.send_keys(value).await.expect("fill a parameter");
    }
    wait_for_in(operation, ".execute")
        .await
        .click()
        .await
        .expect("press Execute");
    let status = wait_for_in(
        operation,
        ".live-responses-table tr.response .response-col_status",
    )
    .await;
    let status = status.text().await.expect("the status");
    let body = wait_for_in(
        operation,
        ".live-responses-table tr.response .response-col_description pre",
    )
    .await
    .text()
    .await
    .expect("the body");
    (status.trim().to_owned(), body)
}

async fn wait_for_in(
    parent: &fantoccini::elements::Element,
    css: &str,
) -> fantoccini::elements::Element {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Ok(element) = parent.find(Locator::Css(css)).await {
            return element;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {css}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Opens "Authorize", checks both schemes are offered, and authorizes the
/// internal key.
async fn authorize_internal_key(browser: &Browser, key: &str) {
    browser
        .client
        .find(Locator::Css(".btn.authorize"))
        .await
        .expect("the Authorize button")
        .click()
        .await
        .expect("open Authorize");
    let modal = browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(".modal-ux"))
        .await
        .expect("the Authorize dialog");
    let text = modal.text().await.expect("the dialog's text");
    for scheme in ["bearer", "internal_key", "X-Internal-Key"] {
        assert!(
            text.contains(scheme),
            "{scheme} offered in Authorize: {text}"
        );
    }
    let container = modal
        .find(Locator::XPath(
            ".//div[contains(@class, 'auth-container')][.//h4[contains(., 'internal_key')]]",
        ))
        .await
        .expect("the internal key's form");
    container
        .find(Locator::Css("input"))
        .await
        .expect("the key's input")
        .send_keys(key)
        .await
        .expect("type the key");
    container
        .find(Locator::Css("button.authorize"))
        .await
        .expect("the key's Authorize button")
        .click()
        .await
        .expect("authorize the key");
    modal
        .find(Locator::Css("button.close-modal"))
        .await
        .expect("the dialog's close button")
        .click()
        .await
        .expect("close Authorize");
}

/// The host saw the page's requests: none of them failed.
fn assert_no_failed_requests_in_the_host_logs(app: &App) {
    let docs = app.log_lines("docs");
    let requests: Vec<&Value> = docs.iter().filter(|l| l["event"] == "request").collect();
    assert!(
        requests
            .iter()
            .any(|l| l["path"].as_str().is_some_and(|p| p.ends_with(".js"))),
        "the docs component served the scripts: {requests:#?}"
    );
    for line in &requests {
        assert_eq!(line["status"], 200, "docs answered {line}");
    }
    for service in SERVICES {
        let path = format!("/{service}/openapi.json");
        let served: Vec<Value> = app
            .log_lines(service)
            .into_iter()
            .filter(|l| l["event"] == "request" && l["path"] == path.as_str())
            .collect();
        assert!(!served.is_empty(), "the page fetched {path}");
        assert!(
            served.iter().all(|l| l["status"] == 200),
            "{path} answered {served:#?}"
        );
    }
}
