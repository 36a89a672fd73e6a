use chrono::Utc;
use e2e::*;

#[tokio::test(flavor = "multi_thread")]
async fn register_creates_a_user_with_a_lowercased_name() {
    let app = spawn_app().await;
    let name = unique_username("Reg");
    let mixed = name.to_uppercase();
    let password = strong_password();

    let sent = Utc::now();
    let r = app.register(&mixed, &password).await;
    let answered = Utc::now();
    r.assert_status(201);
    assert!(
        r.header("content-type")
            .unwrap_or("")
            .starts_with("application/json")
    );
    assert_uuid_v4(&r.str_field("user_id"));
    assert_eq!(r.json["username"], name.to_lowercase(), "{}", r.text);
    assert_eq!(r.json["email"], Value::Null, "{}", r.text);
    let created = assert_rfc3339_utc(&r.str_field("created_at"));
    // A local app shares this clock; a deployment's may differ, quite.
    let slack = chrono::Duration::seconds(if app.is_local() { 1 } else { 3600 });
    assert!(
        sent - slack <= created && created <= answered + slack,
        "created_at {created}, asked at {sent}, answered at {answered}"
    );
    assert!(
        !r.text.contains(&password),
        "the password is echoed: {}",
        r.text
    );
    assert!(
        !r.text.contains("argon2"),
        "the hash is exposed: {}",
        r.text
    );
    let mut keys: Vec<_> = r.json.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["created_at", "email", "user_id", "username"]);

    // The lower-cased name logs in.
    app.login(&name.to_lowercase(), &password)
        .await
        .assert_status(200);
}

#[tokio::test(flavor = "multi_thread")]
async fn register_keeps_the_email() {
    let app = spawn_app().await;
    let name = unique_username("mail");
    let email = format!("{name}@example.com");
    let r = app
        .post_json(
            "/auth/register",
            &json!({"username": name, "password": strong_password(), "email": email}),
            Cred::None,
        )
        .await;
    r.assert_status(201);
    assert_eq!(r.json["email"], email);

    let r = app
        .post_json(
            "/auth/register",
            &json!({"username": unique_username("mail"), "password": strong_password(), "email": null}),
            Cred::None,
        )
        .await;
    r.assert_status(201);
    assert_eq!(r.json["email"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn usernames_are_unique_case_insensitively() {
    let app = spawn_app().await;
    let name = unique_username("dup");
    app.register(&name, &strong_password())
        .await
        .assert_status(201);

    for variant in [name.clone(), name.to_uppercase(), capitalize(&name)] {
        let r = app.register(&variant, &strong_password()).await;
        r.assert_error(409, "username_taken");
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn username_rules() {
    let app = spawn_app().await;
    let hex = random_suffix();
    let too_long = format!("a{}{}{}", hex, hex, &hex[..8]); // 33
    assert_eq!(too_long.len(), 33);
    let invalid = [
        "ab".to_string(),
        "A".to_string(),
        String::new(),
        too_long,
        format!("-{hex}"),
        format!(".{hex}"),
        format!("_{hex}"),
        format!("a b{hex}"),
        format!("ab!{hex}"),
        format!("ab/{hex}"),
        format!("äb{hex}"),
        format!("ab@{hex}"),
    ];
    for username in invalid {
        let r = app.register(&username, &strong_password()).await;
        assert_eq!(r.status, 422, "username {username:?}: {}", r.text);
        r.assert_invalid(&["username"]);
    }

    // Boundaries that are valid.
    let exact_32 = format!(
        "z{}{}{}",
        random_suffix(),
        random_suffix(),
        &random_suffix()[..7]
    );
    assert_eq!(exact_32.len(), 32);
    for username in [
        exact_32,
        format!("0{}", random_suffix()),
        format!("a.b_c-d{}", random_suffix()),
        format!("N{}", random_suffix()).to_uppercase(),
    ] {
        let r = app.register(&username, &strong_password()).await;
        assert_eq!(r.status, 201, "username {username:?}: {}", r.text);
        assert_eq!(r.json["username"], username.to_lowercase());
    }

    // Three characters is the minimum; a random one may exist already on a
    // shared deployment, which still shows the name is valid.
    let three = &random_suffix()[..3];
    let r = app.register(three, &strong_password()).await;
    assert!(
        r.status == 201 || r.status == 409,
        "3-character username {three:?}: {} {}",
        r.status,
        r.text
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn password_rules() {
    let app = spawn_app().await;
    let invalid: Vec<(&str, String)> = vec![
        ("7 characters", "aB3$eF7".to_string()),
        ("7 two-byte characters", "äöüßéèê".to_string()),
        ("129 characters", format!("{}x", "aB3$".repeat(32))),
        ("129 emoji", "😀".repeat(129)),
        ("only spaces", " ".repeat(12)),
        ("only whitespace", " \t \n \t  ".to_string()),
        ("1000 characters", "Zq9!".repeat(250)),
        ("empty", String::new()),
    ];
    for (what, password) in invalid {
        let r = app.register(&unique_username("pw"), &password).await;
        assert_eq!(r.status, 422, "password {what}: {}", r.text);
        r.assert_invalid(&["password"]);
        assert!(
            password.trim().is_empty() || !r.text.contains(&password),
            "the password is echoed in the error: {}",
            r.text
        );
    }

    let valid: Vec<(&str, String)> = vec![
        ("8 characters", format!("q{}", &random_suffix()[..7])),
        ("8 two-byte characters", "äöüßéèêë".to_string()),
        (
            "128 characters",
            format!("{}{}", "aB3$".repeat(31), &random_suffix()[..4]),
        ),
        ("128 emoji", "😀".repeat(128)),
        (
            "spaces inside",
            format!("correct horse {}", random_suffix()),
        ),
    ];
    for (what, password) in valid {
        let name = unique_username("pw");
        let r = app.register(&name, &password).await;
        assert_eq!(r.status, 201, "password {what}: {}", r.text);
        app.login(&name, &password).await.assert_status(200);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn common_passwords_are_refused() {
    let app = spawn_app().await;
    // All of these are near the top of every published list of common
    // passwords, far inside the top 3000.
    for password in [
        "password",
        "12345678",
        "123456789",
        "1234567890",
        "qwertyuiop",
        "iloveyou",
        "sunshine",
        "football",
        "baseball",
        "princess",
        "password1",
        "superman",
        "trustno1",
    ] {
        let r = app.register(&unique_username("cp"), password).await;
        assert_eq!(r.status, 422, "common password {password:?}: {}", r.text);
        r.assert_invalid(&["password"]);
    }
}

/// A deployment whose auth component lacks the common-password table (a
/// manifest that does not mount it) lets no password through unchecked:
/// register is a 500 and writes nothing, whatever else the body breaks.
/// Rules that need no table still answer, and the rest of auth works.
#[tokio::test(flavor = "multi_thread")]
async fn without_the_common_password_table_register_is_a_500_and_writes_nothing() {
    if skip_external("runs a modified spin.toml") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let manifest = manifest_without_mounted_files(dir.path());
    let Some(app) = app()
        .manifest(&manifest)
        .spawn_local("runs a modified spin.toml")
        .await
    else {
        return;
    };
    let names: Vec<String> = (0..3).map(|_| unique_username("nt")).collect();
    for (name, password) in names.iter().zip([strong_password(), "password".to_owned()]) {
        let r = app.register(name, &password).await;
        r.assert_error(500, "internal_error");
        assert!(!r.text.contains("common-passwords"), "{}", r.text);
    }
    let r = app
        .post_json(
            "/auth/register",
            &json!({"username": "x", "password": strong_password(), "email": "no-at-sign"}),
            Cred::None,
        )
        .await;
    r.assert_error(500, "internal_error");
    assert_eq!(
        app.stored_entries("auth"),
        Vec::new(),
        "a register that could not check its password wrote to the store"
    );
    let log = app.stderr("auth");
    assert!(
        log.contains("unexpected_error") && log.contains("common-password table"),
        "the cause is logged: {log}"
    );

    // No table needed: the other rules, login, me, health.
    let r = app.register(&names[2], "short").await;
    r.assert_invalid(&["password"]);
    app.login(&names[0], &strong_password())
        .await
        .assert_error(401, "invalid_credentials");
    app.me(&uuid::Uuid::new_v4().to_string())
        .await
        .assert_unauthorized_bearer();
    app.get_with("/auth/health", Cred::None)
        .await
        .assert_status(200);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn passwords_are_never_truncated() {
    let app = spawn_app().await;
    let name = unique_username("trunc");
    let password: String = format!("{}{}", strong_password(), "k7#Q".repeat(20));
    assert!(password.len() > 100);
    app.register(&name, &password).await.assert_status(201);

    for prefix in [72, 64, 100] {
        let r = app.login(&name, &password[..prefix]).await;
        r.assert_error(401, "invalid_credentials");
    }
    // A successful login resets the failure count before it throttles.
    app.login(&name, &password).await.assert_status(200);
    let longer = format!("{password}x");
    app.login(&name, &longer)
        .await
        .assert_error(401, "invalid_credentials");
    app.login(&name, &password).await.assert_status(200);
}

#[tokio::test(flavor = "multi_thread")]
async fn email_rules() {
    let app = spawn_app().await;
    let long_local = "a".repeat(254 - "@example.com".len() + 1);
    for email in [
        "no-at-sign".to_string(),
        "two@@example.com".to_string(),
        "a@b@example.com".to_string(),
        "@example.com".to_string(),
        "user@".to_string(),
        String::new(),
        format!("{long_local}@example.com"), // 255 characters
        "a\r\nBcc: victim@example.com".to_string(),
        "a b@example.com".to_string(),
        "a@example.com\u{0}".to_string(),
    ] {
        let r = app
            .post_json(
                "/auth/register",
                &json!({"username": unique_username("em"), "password": strong_password(), "email": email}),
                Cred::None,
            )
            .await;
        assert_eq!(r.status, 422, "email {email:?}: {}", r.text);
        r.assert_invalid(&["email"]);
    }

    let max_local = "b".repeat(254 - "@example.com".len());
    for email in ["a@b".to_string(), format!("{max_local}@example.com")] {
        let r = app
            .post_json(
                "/auth/register",
                &json!({"username": unique_username("em"), "password": strong_password(), "email": email}),
                Cred::None,
            )
            .await;
        assert_eq!(r.status, 201, "email {email:?}: {}", r.text);
        assert_eq!(r.json["email"], email);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_and_mistyped_fields_get_one_detail_each() {
    let app = spawn_app().await;
    let r = app
        .post_json("/auth/register", &json!({}), Cred::None)
        .await;
    r.assert_invalid(&["username", "password"]);

    let r = app
        .post_json(
            "/auth/register",
            &json!({"username": 5, "password": true, "email": 7}),
            Cred::None,
        )
        .await;
    r.assert_invalid(&["username", "password", "email"]);

    let r = app
        .post_json(
            "/auth/register",
            &json!({"username": "x", "password": "short"}),
            Cred::None,
        )
        .await;
    r.assert_invalid(&["username", "password"]);
    let fields = detail_fields(&r.json);
    assert_eq!(fields.len(), 2, "one detail per bad field: {}", r.text);

    let r = app
        .post_json(
            "/auth/register",
            &json!({"username": unique_username("ok"), "password": "short"}),
            Cred::None,
        )
        .await;
    r.assert_invalid(&["password"]);
    assert!(
        !detail_fields(&r.json).iter().any(|f| f == "username"),
        "a good field is reported: {}",
        r.text
    );

    for body in [json!([]), json!("text"), json!(null), json!(42)] {
        let r = app.post_json("/auth/register", &body, Cred::None).await;
        r.assert_error(422, "validation_failed");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_fields_are_ignored() {
    let app = spawn_app().await;
    let name = unique_username("extra");
    let r = app
        .post_json(
            "/auth/register",
            &json!({"username": name, "password": strong_password(), "role": "admin", "user_id": "00000000-0000-4000-8000-000000000000"}),
            Cred::None,
        )
        .await;
    r.assert_status(201);
    assert!(r.json.get("role").is_none(), "{}", r.text);
    assert_ne!(
        r.json["user_id"], "00000000-0000-4000-8000-000000000000",
        "a client-chosen user_id was taken"
    );
}
