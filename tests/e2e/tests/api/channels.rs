//! The email and SMS channels: provider components plugged into the
//! channels component through Spin component dependencies, which the
//! notification component calls. The default
//! providers call local HTTP servers standing in for an email API and an
//! SMS gateway; a second provider component is swapped in through a copy
//! of spin.toml.

use e2e::*;

fn secret(kind: &str) -> String {
    format!("{kind}-secret-{}{}", random_suffix(), random_suffix())
}

fn user() -> String {
    format!("ch-{}", random_suffix())
}

/// `to` the way a test can tell apart; random so that runs never collide.
fn address() -> String {
    format!("ada.{}@example.com", random_suffix())
}

/// A notification answered `202` and stored as failed after `attempts`,
/// with `error` as the reason.
fn assert_failed(reply: &Reply, attempts: u64, error: &str) {
    reply.assert_status(202);
    assert_eq!(reply.json["status"], "failed", "{}", reply.text);
    assert_eq!(reply.json["attempts"], attempts, "{}", reply.text);
    assert_eq!(reply.json["error"], error, "{}", reply.text);
}

/// No secret anywhere the contract forbids: answers, stored records, logs.
fn assert_nowhere(app: &TestApp, secrets: &[&str], replies: &[&Reply]) {
    for secret in secrets {
        for reply in replies {
            assert!(!reply.text.contains(secret), "secret in {}", reply.text);
        }
        for (key, value) in app.stored_entries("notification") {
            assert!(
                !String::from_utf8_lossy(&value).contains(secret),
                "secret stored under {key}"
            );
        }
        assert!(!app.all_output().contains(secret), "secret in the logs");
    }
}

/// An API that accepts the message and then never finishes its answer has
/// the message: it is delivered once, not sent again.
#[tokio::test(flavor = "multi_thread")]
async fn an_api_that_accepts_and_then_stalls_gets_the_message_once() {
    let email_api = TricklingPeer::start().await;
    let Some(app) = with_email_api_at(app(), &email_api.origin(), &secret("email"))
        .spawn_local("points the email provider at a stalling stand-in API")
        .await
    else {
        return;
    };
    let reply = app
        .notify(&json!({"user_id": user(), "channel": "email", "to": address(), "message": "once"}))
        .await;
    reply.assert_status(202);
    assert_eq!(reply.json["status"], "delivered", "{}", reply.text);
    assert_eq!(reply.json["attempts"], 1, "{}", reply.text);
    assert_eq!(email_api.request_count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn email_and_sms_are_delivered_through_the_default_providers() {
    let email_api = WebhookServer::start(vec![202]).await;
    let sms_api = WebhookServer::start(vec![200]).await;
    let (email_key, sms_key) = (secret("email"), secret("sms"));
    let Some(app) = with_sms_api(
        with_email_api(app(), &email_api, &email_key),
        &sms_api,
        &sms_key,
    )
    .spawn_local("points the providers at local stand-in APIs")
    .await
    else {
        return;
    };
    let (user, to) = (user(), address());

    let email = app
        .notify(&json!({"user_id": user, "channel": "email", "to": to, "subject": "Hi Ada", "message": "Hello by email"}))
        .await;
    email.assert_status(202);
    assert_eq!(email.json["status"], "delivered", "{}", email.text);
    assert_eq!(email.json["channel"], "email", "{}", email.text);
    assert_eq!(email.json["attempts"], 1, "{}", email.text);
    let email_id = email.str_field("notification_id");

    let sent = email_api.requests();
    assert_eq!(sent.len(), 1, "one call to the email API");
    let request = &sent[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, EMAIL_API_PATH);
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {email_key}").as_str())
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.json(),
        json!({
            "personalizations": [{"to": [{"email": to}]}],
            "from": {"email": EMAIL_FROM},
            "subject": "Hi Ada",
            "content": [{"type": "text/plain", "value": "Hello by email"}],
            "custom_args": {"notification_id": email_id},
        })
    );

    let sms = app
        .notify(&json!({"user_id": user, "channel": "sms", "to": "+15551234567", "subject": "not sent", "message": "Hello by SMS"}))
        .await;
    sms.assert_status(202);
    assert_eq!(sms.json["status"], "delivered", "{}", sms.text);
    assert_eq!(sms.json["channel"], "sms", "{}", sms.text);
    let sent = sms_api.requests();
    assert_eq!(sent.len(), 1, "one call to the SMS gateway");
    let request = &sent[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, SMS_API_PATH);
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {sms_key}").as_str())
    );
    assert_eq!(
        request.json(),
        json!({"from": SMS_FROM, "to": "+15551234567", "text": "Hello by SMS"})
    );
    // Each provider got its own key and nothing of the other channel.
    assert_eq!(email_api.requests().len(), 1);
    let sms_request = format!(
        "{:?} {}",
        request.headers,
        String::from_utf8_lossy(&request.body)
    );
    assert!(!sms_request.contains(&email_key), "{sms_request}");

    let record = app.notification(&email_id, Cred::Internal).await;
    record.assert_status(200);
    assert_eq!(record.json["to"], to.as_str(), "{}", record.text);
    assert_eq!(record.json["status"], "delivered", "{}", record.text);
    // The stand-in API answers `{}` with no message id.
    assert_eq!(
        record.json["provider_receipt"], "accepted (202)",
        "{}",
        record.text
    );
    let listed = app.notifications(&user, Cred::Internal, "").await;
    listed.assert_status(200);
    let channels: Vec<&str> = listed.json["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["channel"].as_str().unwrap())
        .collect();
    assert_eq!(channels, ["sms", "email"], "{}", listed.text);

    assert_nowhere(
        &app,
        &[&email_key, &sms_key],
        &[&email, &sms, &record, &listed],
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rejections_are_stored_failed_at_once_and_unavailability_is_retried() {
    // Email: a refusal, then one 503 before success. SMS: always 503.
    let email_api = WebhookServer::start(vec![400, 503, 202]).await;
    let sms_api = WebhookServer::start(vec![503]).await;
    let (email_key, sms_key) = (secret("email"), secret("sms"));
    let Some(app) = with_sms_api(
        with_email_api(app(), &email_api, &email_key),
        &sms_api,
        &sms_key,
    )
    .spawn_local("points the providers at local stand-in APIs")
    .await
    else {
        return;
    };
    let user = user();

    let rejected = app
        .notify(&json!({"user_id": user, "channel": "email", "to": address(), "message": "one"}))
        .await;
    assert_failed(&rejected, 1, "the email API refused the message (400)");
    assert_eq!(email_api.requests().len(), 1, "a rejection is not retried");
    let stored = app
        .notification(&rejected.str_field("notification_id"), Cred::Internal)
        .await;
    assert_eq!(stored.json["status"], "failed", "{}", stored.text);
    assert_eq!(
        stored.json["error"], rejected.json["error"],
        "{}",
        stored.text
    );

    let retried = app
        .notify(&json!({"user_id": user, "channel": "email", "to": address(), "message": "two"}))
        .await;
    retried.assert_status(202);
    assert_eq!(retried.json["status"], "delivered", "{}", retried.text);
    assert_eq!(retried.json["attempts"], 2, "{}", retried.text);
    let calls = email_api.requests();
    assert_eq!(calls.len(), 3);
    assert_eq!(
        calls[1].body, calls[2].body,
        "a retry sends the same message"
    );

    let down = app
        .notify(
            &json!({"user_id": user, "channel": "sms", "to": "+447911123456", "message": "three"}),
        )
        .await;
    assert_failed(&down, 3, "the SMS gateway answered 503");
    assert_eq!(sms_api.requests().len(), 3, "three attempts in all");
    let stored = app
        .notification(&down.str_field("notification_id"), Cred::Internal)
        .await;
    assert_eq!(stored.json["status"], "failed", "{}", stored.text);
    assert_eq!(stored.json["attempts"], 3, "{}", stored.text);

    assert_nowhere(
        &app,
        &[&email_key, &sms_key],
        &[&rejected, &retried, &down, &stored],
    );
    app.shutdown().await;
}

/// The app with the email and SMS providers pointed at the stand-in API
/// at `origin`; `None` where the suite cannot run a modified app.
async fn spawn_with_both_apis_at(origin: &str) -> Option<TestApp> {
    app()
        .variable("email_api_url", format!("{origin}{EMAIL_API_PATH}"))
        .variable("email_api_origin", origin)
        .variable("email_api_key", secret("email"))
        .variable("email_from", EMAIL_FROM)
        .variable("sms_api_url", format!("{origin}{SMS_API_PATH}"))
        .variable("sms_api_origin", origin)
        .variable("sms_api_key", secret("sms"))
        .variable("sms_from", SMS_FROM)
        .spawn_local("points the providers at a local stand-in API")
        .await
}

/// Sends on `channel` to `to`; the stored notification's receipt.
async fn receipt_of(app: &TestApp, channel: &str, to: &str) -> serde_json::Value {
    let r = app
        .notify(&json!({"user_id": user(), "channel": channel, "to": to, "message": "m"}))
        .await;
    r.assert_status(202);
    assert_eq!(r.json["status"], "delivered", "{}", r.text);
    let record = app
        .notification(&r.str_field("notification_id"), Cred::Internal)
        .await;
    record.json["provider_receipt"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_email_apis_message_id_header_is_the_receipt() {
    let api = WebhookServer::answering(vec![202], "x-message-id: sg-message-42\r\n", "").await;
    let Some(app) = spawn_with_both_apis_at(&api.origin()).await else {
        return;
    };
    assert_eq!(receipt_of(&app, "email", &address()).await, "sg-message-42");
    app.shutdown().await;
}

/// Providers keep a small stack (`components/channels/small-stack.rs`); an
/// answer nested as deep as serde_json reads beside the id must not
/// overflow it.
#[tokio::test(flavor = "multi_thread")]
async fn a_receipt_beside_an_answer_nested_deep_is_read() {
    let deep = format!("{}1{}", "[".repeat(120), "]".repeat(120));
    let body = format!(r#"{{"meta":{deep},"id":"m-deep","data":{{"more":{deep},"id":"d-deep"}}}}"#);
    let api = WebhookServer::answering(vec![202], "", &body).await;
    let Some(app) = spawn_with_both_apis_at(&api.origin()).await else {
        return;
    };
    assert_eq!(receipt_of(&app, "email", &address()).await, "m-deep");
    assert_eq!(receipt_of(&app, "sms", "+15551234567").await, "d-deep");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_that_refuses_connections_is_retried_and_named_in_plain_words() {
    let closed = ClosedPort::bind();
    let origin = closed.url();
    let Some(app) = app()
        .variable("sms_api_url", format!("{origin}{SMS_API_PATH}"))
        .variable("sms_api_origin", origin.as_str())
        .variable("sms_api_key", secret("sms"))
        .variable("sms_from", SMS_FROM)
        .spawn_local("points the SMS provider at a closed port")
        .await
    else {
        return;
    };
    let r = app
        .notify(&json!({"user_id": user(), "channel": "sms", "to": "+15551234567", "message": "m"}))
        .await;
    assert_failed(&r, 3, "the SMS gateway call failed: connection refused");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unconfigured_channels_are_unavailable_and_recipients_are_validated_per_channel() {
    let Some(app) = app()
        .spawn_local("needs the email and sms providers left unconfigured")
        .await
    else {
        return;
    };
    let user = user();
    for (channel, to) in [("email", address()), ("sms", "+15551234567".to_owned())] {
        let r = app
            .notify(&json!({"user_id": user, "channel": channel, "to": to, "message": "m"}))
            .await;
        r.assert_error(503, "channel_unavailable");
    }
    let listed = app.notifications(&user, Cred::Internal, "").await;
    assert_eq!(listed.json["notifications"], json!([]), "nothing stored");
    // The operator's log says what is missing, by name only.
    let log = app.stderr("notification");
    assert!(
        log.contains("channel_unconfigured") && log.contains("email_api_url"),
        "{log}"
    );

    for body in [
        json!({"user_id": user, "channel": "email", "message": "m"}),
        json!({"user_id": user, "channel": "sms", "message": "m"}),
        json!({"user_id": user, "channel": "email", "to": "+15551234567", "message": "m"}),
        json!({"user_id": user, "channel": "email", "to": "ada@example.com\r\nBcc: x@y.z", "message": "m"}),
        json!({"user_id": user, "channel": "sms", "to": "ada@example.com", "message": "m"}),
        json!({"user_id": user, "channel": "sms", "to": "+1 555 123 4567", "message": "m"}),
        json!({"user_id": user, "channel": "log", "to": "ada@example.com", "message": "m"}),
        json!({"user_id": user, "to": "+15551234567", "message": "m"}),
        json!({"user_id": user, "channel": "webhook", "to": "ada@example.com", "message": "m"}),
        json!({"user_id": user, "channel": "email", "to": 42, "message": "m"}),
    ] {
        app.notify(&body).await.assert_invalid(&["to"]);
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_channels_component_answers_nobody_outside_the_app() {
    let Some(app) = app().spawn_local("reaches the app's own listener").await else {
        return;
    };
    for path in [
        "/email/readiness",
        "/sms/readiness",
        "/channels/email/readiness",
    ] {
        let r = app.get_with(path, Cred::Internal).await;
        assert_eq!(r.status, 404, "{path}: {}", r.text);
    }
    let message = json!({"id": "x", "user_id": "u", "to": address(), "subject": null, "body": "m"});
    let r = app.post_json("/email/send", &message, Cred::Internal).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(app.stderr("channels"), "", "no request reached it");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_swapped_in_through_spin_toml_delivers_instead() {
    let Some((app, _manifest_dir)) = app_with_the_test_email_provider().await else {
        return;
    };
    let (user, to) = (user(), address());

    // The test provider needs no settings: email is available without them.
    let r = app
        .notify(&json!({"user_id": user, "channel": "email", "to": to, "subject": "S", "message": "through the swapped provider"}))
        .await;
    r.assert_status(202);
    assert_eq!(r.json["status"], "delivered", "{}", r.text);
    let id = r.str_field("notification_id");
    let record = app.notification(&id, Cred::Internal).await;
    assert_eq!(
        record.json["provider_receipt"],
        format!("test-provider:{id}"),
        "{}",
        record.text
    );
    let sends = provider_lines(&app, &id);
    assert_eq!(sends.len(), 1, "one attempt");
    assert_eq!(
        sends[0],
        json!({"event": "test_provider_send", "id": id, "user_id": user, "to": to, "subject": "S", "body": "through the swapped provider"})
    );

    let refused = app
        .notify(
            &json!({"user_id": user, "channel": "email", "to": "x@rejected.test", "message": "m"}),
        )
        .await;
    assert_failed(&refused, 1, "the test provider refuses rejected.test");
    let away = app
        .notify(&json!({"user_id": user, "channel": "email", "to": "x@unavailable.test", "message": "m"}))
        .await;
    assert_failed(&away, 3, "the test provider cannot reach unavailable.test");
    assert_eq!(
        provider_lines(&app, &away.str_field("notification_id")).len(),
        3
    );

    // Whatever a provider answers, its answer travels whole, kept short: a
    // receipt or a refusal far over what is stored is still one attempt.
    let long = app
        .notify(&json!({"user_id": user, "channel": "email", "to": "x@long.test", "message": "m"}))
        .await;
    long.assert_status(202);
    assert_eq!(long.json["status"], "delivered", "{}", long.text);
    assert_eq!(long.json["attempts"], 1, "{}", long.text);
    let long_id = long.str_field("notification_id");
    assert_eq!(provider_lines(&app, &long_id).len(), 1, "sent once");
    let stored = app.notification(&long_id, Cred::Internal).await;
    let receipt = stored.json["provider_receipt"].as_str().unwrap_or_default();
    assert!(
        receipt.starts_with(&format!("test-provider:{long_id}:")) && receipt.chars().count() == 128,
        "{}",
        stored.text
    );
    let long_refusal = app
        .notify(&json!({"user_id": user, "channel": "email", "to": "x@long-refusal.test", "message": "m"}))
        .await;
    assert_failed(&long_refusal, 1, &"\"".repeat(300));

    // A provider that traps takes down its own instance only: each attempt
    // is unavailable, and the notification is stored as failed.
    let trapped = app
        .notify(&json!({"user_id": user, "channel": "email", "to": "x@trap.test", "message": "m"}))
        .await;
    assert_failed(&trapped, 3, "the email provider failed (status 500)");
    let trapped_id = trapped.str_field("notification_id");
    assert_eq!(provider_lines(&app, &trapped_id).len(), 3);
    let stored = app.notification(&trapped_id, Cred::Internal).await;
    assert_eq!(stored.json["status"], "failed", "{}", stored.text);

    // Only the email dependency was replaced: SMS is still the default
    // provider, unconfigured here.
    app.notify(&json!({"user_id": user, "channel": "sms", "to": "+15551234567", "message": "m"}))
        .await
        .assert_error(503, "channel_unavailable");
    app.shutdown().await;
}

/// Notifications one address may get per channel and UTC hour.
const RECIPIENT_HOURLY_BUDGET: usize = 10;

/// Past its hourly budget an address is sent nothing: the notification is
/// stored failed, a final outcome, and the provider never sees it.
#[tokio::test(flavor = "multi_thread")]
async fn an_address_past_its_hourly_budget_is_sent_nothing() {
    let Some((app, _manifest_dir)) = app_with_the_test_email_provider().await else {
        return;
    };
    // The budget is per UTC hour: keep the whole run within one.
    let into_hour = chrono::Utc::now().timestamp().rem_euclid(3600);
    if into_hour > 3600 - 30 {
        tokio::time::sleep(std::time::Duration::from_secs(
            (3600 - into_hour + 1) as u64,
        ))
        .await;
    }
    let (user, to) = (user(), address());
    let mut replies = Vec::new();
    for n in 0..=RECIPIENT_HOURLY_BUDGET {
        let reply = app
            .notify(&json!({"user_id": user, "channel": "email", "to": to, "message": format!("sign-in {n}")}))
            .await;
        reply.assert_status(202);
        replies.push(reply);
    }
    let (delivered, refused): (Vec<&Reply>, Vec<&Reply>) = replies
        .iter()
        .partition(|reply| reply.json["status"] == "delivered");
    assert_eq!(delivered.len(), RECIPIENT_HOURLY_BUDGET);
    assert_eq!(refused.len(), 1);
    assert_failed(
        refused[0],
        0,
        "the recipient's hourly budget is spent (10 notifications per address and channel per hour); not sent",
    );
    let stored = app
        .notification(&refused[0].str_field("notification_id"), Cred::Internal)
        .await;
    assert_eq!(stored.json["status"], "failed", "{}", stored.text);
    let sends = json_lines(&app.stdout("channels"))
        .filter(|line| line["event"] == "test_provider_send" && line["to"] == to.as_str())
        .count();
    assert_eq!(
        sends, RECIPIENT_HOURLY_BUDGET,
        "the provider saw the budget"
    );
    // The budget's key names the address only as a digest.
    for (key, _) in app.stored_entries("notification") {
        assert!(!key.contains(&to), "{key}");
    }
    app.shutdown().await;
}

/// The app with the test provider swapped in for email through its
/// manifest (kept in the directory returned with it), or `None` where the
/// tests cannot run a modified `spin.toml`.
async fn app_with_the_test_email_provider() -> Option<(TestApp, tempfile::TempDir)> {
    if skip_external("runs a modified spin.toml") {
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let manifest = manifest_with_email_provider(dir.path(), &test_provider_wasm());
    let app = app()
        .manifest(&manifest)
        .spawn_local("runs a modified spin.toml")
        .await?;
    Some((app, dir))
}

/// The test provider's lines about notification `id`.
fn provider_lines(app: &TestApp, id: &str) -> Vec<Value> {
    json_lines(&app.stdout("channels"))
        .filter(|line| line["event"] == "test_provider_send" && line["id"] == id)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn welcome_and_sign_in_go_by_email_to_users_who_gave_one() {
    let email_api = WebhookServer::start(vec![202]).await;
    let key = secret("email");
    let Some(app) = with_email_api(app(), &email_api, &key)
        .spawn_local("points the email provider at a local stand-in API")
        .await
    else {
        return;
    };
    let email = address();
    let user_id = register_and_sign_in(&app, &email).await;
    let sent = app
        .wait_for_notifications(&user_id, 2, DELIVERY_TIMEOUT)
        .await;
    for notification in &sent {
        assert_eq!(notification["channel"], "email", "{notification}");
        assert_eq!(notification["to"], email.as_str(), "{notification}");
        assert_eq!(notification["status"], "delivered", "{notification}");
    }
    let subjects: Vec<String> = email_api
        .requests()
        .iter()
        .map(|r| r.json())
        .filter(|body| body["personalizations"][0]["to"][0]["email"] == email.as_str())
        .map(|body| body["subject"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(subjects.contains(&"Welcome".to_owned()), "{subjects:?}");
    assert!(subjects.contains(&"New sign-in".to_owned()), "{subjects:?}");

    // Without an email address: the log channel, as before.
    let plain = app.register_user().await;
    let sent = app
        .wait_for_notifications(&plain.user_id, 1, DELIVERY_TIMEOUT)
        .await;
    assert_eq!(sent[0]["channel"], "log", "{}", sent[0]);

    // The contract lets a user register with any address that has one `@`
    // and text on both sides; the email channel also wants a dot in the
    // domain. Such a user's notifications go on log, not to the dead letters.
    let requests_before = email_api.requests().len();
    let user_id = register_and_sign_in(&app, "someone@localhost").await;
    let sent = app
        .wait_for_notifications(&user_id, 2, DELIVERY_TIMEOUT)
        .await;
    let mut subjects: Vec<&str> = sent
        .iter()
        .map(|n| {
            assert_eq!(n["channel"], "log", "{n}");
            assert_eq!(n["status"], "delivered", "{n}");
            n["subject"].as_str().unwrap_or_default()
        })
        .collect();
    subjects.sort_unstable();
    assert_eq!(subjects, ["New sign-in", "Welcome"]);
    assert_eq!(
        email_api.requests().len(),
        requests_before,
        "nothing more went to the email API"
    );
    app.shutdown().await;
}

/// A provider that cannot even be asked is no reason to give up on the
/// address: notify answers `503 channel_unreachable` and stores nothing,
/// and auth keeps the welcome in its outbox instead of sending it on `log`.
/// Here the notification component may not call the channels component.
#[tokio::test(flavor = "multi_thread")]
async fn a_provider_that_cannot_be_asked_is_unreachable_and_auth_keeps_its_notification() {
    let dir = tempfile::tempdir().expect("temp dir");
    let manifest = spin_toml_copy(dir.path(), "spin.no-channels.toml", |manifest| {
        let hosts = components(manifest)
            .get_mut("notification")
            .and_then(|notification| notification.get_mut("allowed_outbound_hosts"))
            .and_then(toml::Value::as_array_mut)
            .expect("spin.toml lists the notification component's outbound hosts");
        let before = hosts.len();
        hosts.retain(|host| host.as_str() != Some("http://channels.spin.internal"));
        assert_eq!(
            hosts.len(),
            before - 1,
            "the channels component was allowed"
        );
    });
    let Some(app) = app()
        .manifest(&manifest)
        .spawn_local("runs a modified spin.toml")
        .await
    else {
        return;
    };
    let user = user();
    let r = app
        .notify(&json!({"user_id": user, "channel": "email", "to": address(), "message": "m"}))
        .await;
    r.assert_error(503, "channel_unreachable");
    let listed = app.notifications(&user, Cred::Internal, "").await;
    assert_eq!(listed.json["notifications"], json!([]), "nothing stored");
    assert!(
        app.stderr("notification").contains("channel_unreachable"),
        "the operator's log says why"
    );

    let (user_id, _) = register_with_email(&app, &address()).await;
    // The register's own delivery has met the 503 and kept the welcome
    // (a fallback to `log` would say `notification_email_unavailable`).
    eventually(
        "auth keeping the welcome after the 503",
        DELIVERY_TIMEOUT,
        || async {
            let log = app.stderr("auth");
            json_lines(&log)
                .any(|line| {
                    line["event"] == "delivery_failed"
                        && line["target"] == "notification"
                        && line["cause"] == "status 503"
                        && line["kept"] == true
                })
                .then_some(())
                .ok_or(format!("no such line:\n{log}"))
        },
    )
    .await;
    let flushed = app
        .send(app.with(app.post("/auth/outbox/flush"), Cred::Internal))
        .await;
    assert_eq!(
        flushed.json["pending"], 1,
        "the welcome is kept: {}",
        flushed.text
    );
    let listed = app.notifications(&user_id, Cred::Internal, "").await;
    assert_eq!(
        listed.json["notifications"],
        json!([]),
        "not sent on log instead"
    );
    app.shutdown().await;
}

/// Registers a new user with `email`: the user's id, and name and password.
async fn register_with_email(app: &TestApp, email: &str) -> (String, (String, String)) {
    let username = unique_username("ch");
    let password = strong_password();
    let registered = app
        .post_json(
            "/auth/register",
            &json!({"username": username, "password": password, "email": email}),
            Cred::None,
        )
        .await;
    registered.assert_status(201);
    (registered.str_field("user_id"), (username, password))
}

async fn register_and_sign_in(app: &TestApp, email: &str) -> String {
    let (user_id, (username, password)) = register_with_email(app, email).await;
    app.login(&username, &password).await.assert_status(200);
    user_id
}

#[tokio::test(flavor = "multi_thread")]
async fn without_an_email_provider_the_welcome_still_arrives_on_log() {
    let Some(app) = app()
        .spawn_local("needs the email provider left unconfigured")
        .await
    else {
        return;
    };
    let (user_id, _) = register_with_email(&app, &address()).await;
    let sent = app
        .wait_for_notifications(&user_id, 1, DELIVERY_TIMEOUT)
        .await;
    assert_eq!(sent[0]["channel"], "log", "{}", sent[0]);
    assert_eq!(sent[0]["subject"], "Welcome", "{}", sent[0]);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pushed_app_carries_its_providers() {
    if skip_external("pushes the local build to a local registry") {
        return;
    }
    let (_registry, reference) = registry_with_the_app("seed-channels").await;
    let email_api = WebhookServer::start(vec![202]).await;
    let Some(app) = with_email_api(
        app().from_registry(&reference),
        &email_api,
        &secret("email"),
    )
    .spawn_local("runs the pushed app")
    .await
    else {
        return;
    };
    let r = app
        .notify(&json!({"user_id": user(), "channel": "email", "to": address(), "message": "from the registry"}))
        .await;
    r.assert_status(202);
    assert_eq!(r.json["status"], "delivered", "{}", r.text);
    assert_eq!(email_api.requests().len(), 1);
    app.shutdown().await;
}
