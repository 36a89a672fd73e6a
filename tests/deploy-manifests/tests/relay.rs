//! The scheduled outbox relay under `deploy/spinkube/` (and its split
//! variant): a CronJob that reaches the SpinApp beside it with its key.

use deploy_manifests::relay::relay_problems;
use deploy_manifests::{Document, documents_under, spinkube_dir};
use serde_json::{Value, json};

/// Each directory's documents: the relay is judged with its neighbours.
fn directories() -> Vec<Vec<Document>> {
    [spinkube_dir(), spinkube_dir().join("split")]
        .iter()
        .map(|dir| documents_under(dir).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn of_kind<'a>(docs: &'a [Document], kind: &str) -> Vec<&'a Document> {
    docs.iter().filter(|d| d.kind() == Some(kind)).collect()
}

/// Secrets live in the top directory; the split manifests use them too.
fn all_secrets() -> Vec<Document> {
    documents_under(&spinkube_dir())
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .filter(|d| d.kind() == Some("Secret"))
        .collect()
}

#[test]
fn every_deployment_has_a_relay_that_reaches_its_auth() {
    let secrets = all_secrets();
    let secret_refs: Vec<&Document> = secrets.iter().collect();
    for (index, docs) in directories().iter().enumerate() {
        let dir = if index == 0 {
            spinkube_dir()
        } else {
            spinkube_dir().join("split")
        };
        let own: Vec<Document> = docs
            .iter()
            .filter(|d| d.path.parent() == Some(dir.as_path()))
            .cloned()
            .collect();
        let relays = of_kind(&own, "CronJob");
        assert_eq!(relays.len(), 1, "{}: one relay CronJob", dir.display());
        let problems = relay_problems(&relays[0].value, &of_kind(&own, "SpinApp"), &secret_refs);
        assert!(problems.is_empty(), "{}: {problems:#?}", relays[0].label());
    }
}

fn main_relay() -> (Value, Vec<Document>) {
    let docs = documents_under(&spinkube_dir()).unwrap_or_else(|e| panic!("{e}"));
    let relay = docs
        .iter()
        .find(|d| d.kind() == Some("CronJob") && d.path.parent() == Some(spinkube_dir().as_path()))
        .expect("deploy/spinkube holds the relay CronJob")
        .value
        .clone();
    (relay, docs)
}

fn problems_after(mutate: impl FnOnce(&mut Value)) -> Vec<String> {
    let (mut relay, docs) = main_relay();
    mutate(&mut relay);
    let top: Vec<&Document> = docs
        .iter()
        .filter(|d| d.path.parent() == Some(spinkube_dir().as_path()))
        .collect();
    let apps: Vec<&Document> = top
        .iter()
        .copied()
        .filter(|d| d.kind() == Some("SpinApp"))
        .collect();
    let secrets: Vec<&Document> = top
        .iter()
        .copied()
        .filter(|d| d.kind() == Some("Secret"))
        .collect();
    relay_problems(&relay, &apps, &secrets)
}

fn container(relay: &mut Value) -> &mut Value {
    &mut relay["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
}

#[test]
fn the_real_relay_passes_so_the_mutations_below_are_meaningful() {
    assert_eq!(problems_after(|_| {}), Vec::<String>::new());
}

#[test]
fn a_key_from_another_secret_is_reported() {
    let problems = problems_after(|relay| {
        container(relay)["env"][0]["valueFrom"]["secretKeyRef"]["name"] =
            json!("some-other-secret");
    });
    assert!(
        problems.iter().any(|p| p.contains("INTERNAL_API_KEY")),
        "{problems:?}"
    );
}

#[test]
fn a_url_to_no_spinapp_or_the_wrong_path_is_reported() {
    for url in [
        "http://nowhere/auth/outbox/flush",
        "http://seed-services/auth/flush",
        "https://seed-services",
    ] {
        let problems = problems_after(|relay| container(relay)["env"][1]["value"] = json!(url));
        assert!(
            problems.iter().any(|p| p.contains("FLUSH_URL")),
            "{url}: {problems:?}"
        );
    }
}

#[test]
fn a_bad_schedule_or_piling_runs_are_reported() {
    let problems = problems_after(|relay| relay["spec"]["schedule"] = json!("every minute"));
    assert!(
        problems.iter().any(|p| p.contains("schedule")),
        "{problems:?}"
    );
    let problems = problems_after(|relay| relay["spec"]["concurrencyPolicy"] = json!("Allow"));
    assert!(
        problems.iter().any(|p| p.contains("Forbid")),
        "{problems:?}"
    );
}

#[test]
fn a_call_without_the_key_header_is_reported() {
    let problems = problems_after(|relay| {
        container(relay)["args"] = json!(["curl --fail -X POST \"$FLUSH_URL\""]);
    });
    assert!(
        problems.iter().any(|p| p.contains("X-Internal-Key")),
        "{problems:?}"
    );
}

#[test]
fn a_restarting_pod_is_reported() {
    let problems = problems_after(|relay| {
        relay["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] = json!("Always");
    });
    assert!(
        problems.iter().any(|p| p.contains("restartPolicy")),
        "{problems:?}"
    );
}
