//! A stand-in email provider. It imports nothing from Spin (no variables,
//! no outbound HTTP): it "delivers" by writing one JSON line to standard
//! output, which Spin files under the channels component's logs, and
//! answers a receipt that names it. Addresses at `rejected.test` are
//! refused for good, those at `unavailable.test` are never reachable, and
//! at `trap.test` the provider traps, and at `long.test` it answers a
//! receipt (or, at `long-refusal.test`, a refusal) far longer than anything
//! stored, so a test can drive every outcome through it.

mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "seed:notification/email-provider",
        generate_all,
    });
}

use bindings::exports::seed::email::channel::{Guest, Message, Outcome, Readiness};

struct TestProvider;

impl Guest for TestProvider {
    fn ready() -> Readiness {
        Readiness::Ready
    }

    fn send(message: Message) -> Outcome {
        let line = serde_json::json!({
            "event": "test_provider_send",
            "id": message.id,
            "user_id": message.user_id,
            "to": message.to,
            "subject": message.subject,
            "body": message.body,
        });
        println!("{line}");
        // Quotes, which JSON doubles, make the answer larger still.
        let long = "\"".repeat(40_000);
        if message.to.ends_with("@long.test") {
            Outcome::Delivered(format!("test-provider:{}:{long}", message.id))
        } else if message.to.ends_with("@long-refusal.test") {
            Outcome::Rejected(long)
        } else if message.to.ends_with("@rejected.test") {
            Outcome::Rejected("the test provider refuses rejected.test".to_owned())
        } else if message.to.ends_with("@trap.test") {
            panic!("the test provider traps on trap.test");
        } else if message.to.ends_with("@unavailable.test") {
            Outcome::Unavailable("the test provider cannot reach unavailable.test".to_owned())
        } else {
            Outcome::Delivered(format!("test-provider:{}", message.id))
        }
    }
}

bindings::export!(TestProvider with_types_in bindings);
