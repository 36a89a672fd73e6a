//! What the auth service keeps: argon2id hashes, never a password or a
//! token in the clear (read from the local app's stores).

use e2e::*;

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// `(m, t, p)` of every argon2id PHC string in `bytes`.
fn argon2id_params(bytes: &[u8]) -> Vec<(u64, u64, u64)> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    for part in text.split("$argon2id$").skip(1) {
        // v=19$m=19456,t=2,p=1$salt$hash
        let mut fields = part.split('$');
        let _version = fields.next();
        let Some(params) = fields.next() else {
            continue;
        };
        let get = |name: &str| {
            params
                .split(',')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .and_then(|v| v.parse::<u64>().ok())
        };
        if let (Some(m), Some(t), Some(p)) = (get("m"), get("t"), get("p")) {
            out.push((m, t, p));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn passwords_are_argon2id_hashes_and_tokens_are_hashed() {
    let Some(app) = app().spawn_local("reads the app's stores").await else {
        return;
    };
    let user = app.register_user().await;
    let token = app.login_token(&user).await;
    app.login(&user.username, "Another-wrong-pass-1")
        .await
        .assert_status(401);
    app.me(&token).await.assert_status(200);
    app.wait_for_user_actions(
        &user.user_id,
        &[("register", 1), ("login", 1), ("login_failed", 1)],
        DELIVERY_TIMEOUT,
    )
    .await;

    let auth = app.stored_entries("auth");
    assert!(!auth.is_empty(), "the auth store is empty");
    let mut hashes = Vec::new();
    for (key, value) in &auth {
        for (what, secret) in [
            ("password", user.password.as_str()),
            ("wrong password", "Another-wrong-pass-1"),
            ("token", token.as_str()),
        ] {
            assert!(
                !key.contains(secret) && !contains(value, secret.as_bytes()),
                "the {what} is stored in the clear under key {key:?}"
            );
        }
        hashes.extend(argon2id_params(value));
    }
    assert!(
        !hashes.is_empty(),
        "no argon2id PHC string in the auth store"
    );
    for (m, t, p) in hashes {
        assert!(
            m >= 19 * 1024 && t >= 2 && p >= 1,
            "argon2id below the OWASP minimum: m={m} t={t} p={p}"
        );
    }
    // The other services keep no token or password either.
    for label in ["analytics", "notification"] {
        for (key, value) in app.stored_entries(label) {
            assert!(
                !contains(&value, token.as_bytes()) && !key.contains(&token),
                "{label} stores the token under {key:?}"
            );
            assert!(
                !contains(&value, user.password.as_bytes()),
                "{label} stores the password under {key:?}"
            );
        }
    }
}
