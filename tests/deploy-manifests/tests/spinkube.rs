//! The SpinKube manifests under `deploy/spinkube/` against the SpinApp CRD
//! and against the application's own `spin.toml`.

use std::fs;
use std::path::Path;

use deploy_manifests::crd::CrdError;
use deploy_manifests::{
    AppVariable, Document, SpinAppSchema, VariableSource, app_variables, chaining_problems,
    component_source, documents_under, key_value_store_labels, mounted_files,
    runtime_config_store_labels, secret_string_data, spinapp_variables, spinkube_dir,
    variable_problems, workspace_root,
};
use serde_json::{Value, json};

/// The CRD's schema; `None`, after saying so, only where the pinned CRD
/// cannot be had at all (offline with nothing cached). A file that is not
/// the pinned CRD fails.
fn schema() -> Option<SpinAppSchema> {
    match SpinAppSchema::load() {
        Ok(schema) => Some(schema),
        Err(CrdError::Unavailable(why)) => {
            eprintln!("SKIPPED: the SpinApp schema check: {why}");
            None
        }
        Err(CrdError::Mismatch(why)) => panic!("{why}"),
    }
}

fn documents() -> Vec<Document> {
    documents_under(&spinkube_dir()).unwrap_or_else(|e| panic!("{e}"))
}

fn spinapps() -> Vec<Document> {
    let found: Vec<Document> = documents()
        .into_iter()
        .filter(|d| d.kind() == Some("SpinApp"))
        .collect();
    assert!(
        !found.is_empty(),
        "no SpinApp manifest under {}",
        spinkube_dir().display()
    );
    found
}

fn secrets() -> Vec<Document> {
    documents()
        .into_iter()
        .filter(|d| d.kind() == Some("Secret"))
        .collect()
}

fn spin_toml() -> String {
    let path = workspace_root().join("spin.toml");
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn declared_variables() -> Vec<AppVariable> {
    app_variables(&spin_toml()).unwrap_or_else(|e| panic!("{e}"))
}

/// The project's main SpinApp, as a starting point for the negative tests.
fn main_spinapp() -> Value {
    spinapps()
        .into_iter()
        .find(|d| d.path.file_name().and_then(|n| n.to_str()) == Some("spinapp.yaml"))
        .expect("deploy/spinkube/spinapp.yaml holds the application's SpinApp")
        .value
}

#[test]
fn the_pinned_crd_is_the_spinapp_schema() {
    let Some(schema) = schema() else { return };
    assert_eq!(schema.api_version(), "core.spinkube.dev/v1alpha1");
    assert_eq!(schema.kind(), "SpinApp");
}

#[test]
fn every_spinapp_manifest_satisfies_the_crd() {
    let Some(schema) = schema() else { return };
    let mut failures = Vec::new();
    for doc in spinapps() {
        for violation in schema.violations(&doc.value) {
            failures.push(format!("{}: {violation}", doc.label()));
        }
    }
    assert!(
        failures.is_empty(),
        "SpinApp manifests a cluster would refuse:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_spinapp_sets_the_application_variables_correctly() {
    let declared = declared_variables();
    assert!(
        declared.iter().any(|v| v.required),
        "spin.toml declares no required variable; this test would prove nothing"
    );
    let mut failures = Vec::new();
    for doc in spinapps() {
        for problem in variable_problems(&doc.value, &declared) {
            failures.push(format!("{}: {problem}", doc.label()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn main_spinapp_is_deployed_the_way_the_readme_says() {
    let app = main_spinapp();
    let spec = &app["spec"];
    // The values deploy/spinkube/README.md gives (its table, steps 2 and 4).
    assert_eq!(spec["executor"], "containerd-shim-spin");
    assert_eq!(spec["replicas"], 2, "the README promises 2 replicas");
    assert_ne!(
        spec["enableAutoscaling"],
        Value::Bool(true),
        "fixed replicas and autoscaling exclude each other"
    );
    assert_eq!(spec["image"], "ghcr.io/OWNER/seed-services:0.1.0");
    // loadFromSecret wins over every other runtimeConfig field: none may be set.
    assert_eq!(
        spec["runtimeConfig"],
        json!({ "loadFromSecret": "seed-services-runtime-config" }),
        "the operator ignores other runtimeConfig fields when loadFromSecret is set"
    );
    let internal_key = spinapp_variables(&app)
        .into_iter()
        .find(|(name, _)| name == "internal_api_key")
        .map(|(_, source)| source);
    assert_eq!(
        internal_key,
        Some(VariableSource::Secret {
            name: "seed-services-internal-key".to_owned(),
            key: "internal_api_key".to_owned(),
        }),
        "internal_api_key comes from the Secret the README creates"
    );
    // A selective deployment breaks service chaining (spin-operator#357).
    assert!(
        spec.get("components").is_none(),
        "the app runs all its components"
    );
}

/// `spec.components`, when the SpinApp is a selective deployment.
fn selected_components(doc: &Document) -> Option<Vec<String>> {
    doc.value["spec"]["components"].as_array().map(|items| {
        items
            .iter()
            .map(|c| c.as_str().expect("component ids are strings").to_owned())
            .collect()
    })
}

#[test]
fn probes_use_health_endpoints_the_app_or_spin_serves() {
    // What answers without credentials: Spin's reserved health route and
    // the three services' health endpoints.
    let services = ["auth", "analytics", "notification"];
    for doc in spinapps() {
        let selected = selected_components(&doc);
        let served = |path: &str| {
            path == "/.well-known/spin/health"
                || services.iter().any(|service| {
                    path == format!("/{service}/health")
                        && selected
                            .as_ref()
                            .is_none_or(|s| s.iter().any(|c| c == service))
                })
        };
        for probe in ["liveness", "readiness"] {
            let path = doc.value["spec"]["checks"][probe]["httpGet"]["path"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: no {probe} probe path", doc.label()));
            assert!(
                served(path),
                "{}: {probe} probe path {path:?} is not a health endpoint this SpinApp serves",
                doc.label()
            );
        }
        let readiness = doc.value["spec"]["checks"]["readiness"]["httpGet"]["path"]
            .as_str()
            .unwrap();
        assert_ne!(
            readiness,
            "/.well-known/spin/health",
            "{}: readiness must reach the app (and its store), not only Spin",
            doc.label()
        );
    }
}

#[test]
fn selective_deployments_do_not_rely_on_service_chaining() {
    let spin_toml = spin_toml();
    let mut selective = 0;
    let mut failures = Vec::new();
    for doc in spinapps() {
        if selected_components(&doc).is_none() {
            continue;
        }
        selective += 1;
        for problem in chaining_problems(&doc.value, &spin_toml).unwrap_or_else(|e| panic!("{e}")) {
            failures.push(format!("{}: {problem}", doc.label()));
        }
    }
    assert!(
        selective > 0,
        "expected the per-service SpinApps under deploy/spinkube/split"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn per_service_spinapps_cover_every_service_once() {
    let mut seen = Vec::new();
    for doc in spinapps() {
        if let Some(selected) = selected_components(&doc) {
            seen.extend(selected);
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        ["analytics", "auth", "channels", "docs", "notification"]
    );
}

/// The SpinApps run the image `spin registry push` makes of spin.toml, and
/// a SpinApp has no field for files: what a component mounts must travel
/// in that image. The push packs the files spin.toml names, and Spin takes
/// them only from within the app's directory.
#[test]
fn every_mounted_file_travels_in_the_image() {
    let spin_toml = spin_toml();
    let files = mounted_files(&spin_toml).unwrap_or_else(|e| panic!("{e}"));
    for file in &files {
        let source = Path::new(&file.source);
        assert!(
            source.is_relative()
                && source
                    .components()
                    .all(|part| matches!(part, std::path::Component::Normal(_))),
            "{file:?}: not a path within the app's directory"
        );
    }
    // The auth component reads its common-password table there
    // (crates/auth-domain/src/common_passwords.rs), and auth's build writes
    // it beside auth.wasm.
    let auth_wasm = component_source(&spin_toml, "auth").unwrap_or_else(|e| panic!("{e}"));
    let table = files
        .iter()
        .find(|file| file.component == "auth" && file.destination == "/common-passwords.bin")
        .unwrap_or_else(|| panic!("auth does not mount /common-passwords.bin: {files:?}"));
    assert_eq!(
        Path::new(&table.source),
        Path::new(&auth_wasm)
            .with_file_name("common-passwords.bin")
            .as_path(),
        "the table auth mounts is the one its build writes beside {auth_wasm}"
    );
}

#[test]
fn referenced_secrets_have_example_manifests_with_placeholders() {
    let secrets = secrets();
    let find = |name: &str| {
        secrets
            .iter()
            .find(|s| s.value["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no example Secret named {name} under deploy/spinkube"))
    };
    for doc in spinapps() {
        for (variable, source) in spinapp_variables(&doc.value) {
            if let VariableSource::Secret { name, key } = source {
                let secret = find(&name);
                let data = secret_string_data(&secret.value).unwrap_or_else(|e| panic!("{e}"));
                let (_, value) = data
                    .iter()
                    .find(|(k, _)| *k == key)
                    .unwrap_or_else(|| panic!("Secret {name} has no key {key} for {variable}"));
                assert!(
                    value.contains("REPLACE"),
                    "{}: {name}/{key} must be an obvious placeholder, never a real secret",
                    secret.label()
                );
            }
        }
        if let Some(name) = doc.value["spec"]["runtimeConfig"]["loadFromSecret"].as_str() {
            let secret = find(name);
            let data = secret_string_data(&secret.value).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                data.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
                ["runtime-config.toml"],
                "{}: the operator mounts exactly the key runtime-config.toml",
                secret.label()
            );
            let config = &data[0].1;
            assert!(
                config.contains("REPLACE"),
                "{}: placeholder credentials only",
                secret.label()
            );
            let declared = runtime_config_store_labels(config).unwrap_or_else(|e| panic!("{e}"));
            let used = key_value_store_labels(&spin_toml()).unwrap_or_else(|e| panic!("{e}"));
            for label in &used {
                assert!(
                    declared.contains(label),
                    "{}: store {label} used by spin.toml is missing (spin refuses the app)",
                    secret.label()
                );
            }
            let parsed: toml::Table = toml::from_str(config)
                .unwrap_or_else(|e| panic!("{}: runtime config: {e}", secret.label()));
            let stores = parsed
                .get("key_value_store")
                .and_then(toml::Value::as_table)
                .unwrap_or_else(|| panic!("{}: no [key_value_store]", secret.label()));
            assert!(!stores.is_empty(), "{}: no store", secret.label());
            for (label, store) in stores {
                assert_eq!(
                    store.get("type").and_then(toml::Value::as_str),
                    Some("redis"),
                    "{}: store {label}: replicas share state only through Redis stores",
                    secret.label()
                );
            }
        }
    }
}

#[test]
fn repository_redis_runtime_config_declares_every_store() {
    let path = workspace_root().join("runtime-config.redis.toml");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let declared = runtime_config_store_labels(&text).unwrap_or_else(|e| panic!("{e}"));
    let used = key_value_store_labels(&spin_toml()).unwrap_or_else(|e| panic!("{e}"));
    assert!(!used.is_empty());
    assert!(
        used.is_subset(&declared),
        "{used:?} not all in {declared:?}"
    );
}

// ------------------------------------------------------------ negative tests
// The checks above are worth something only if they fail on a bad manifest.

/// `manifest` is refused for exactly the `expected` violations: each
/// mutation below breaks one rule, and nothing else.
fn assert_rejected(manifest: &Value, expected: &[&str]) {
    let Some(schema) = schema() else { return };
    assert_eq!(schema.violations(manifest), expected);
}

#[test]
fn the_real_manifest_is_accepted_so_the_mutations_below_are_meaningful() {
    let Some(schema) = schema() else { return };
    assert_eq!(schema.violations(&main_spinapp()), Vec::<String>::new());
}

#[test]
fn a_wrong_typed_field_is_rejected() {
    let mut app = main_spinapp();
    app["spec"]["replicas"] = json!("two");
    assert_rejected(&app, &[r#"/spec/replicas: "two" is not of type "integer""#]);
}

#[test]
fn a_missing_required_field_is_rejected() {
    let mut app = main_spinapp();
    app["spec"].as_object_mut().unwrap().remove("image");
    assert_rejected(&app, &[r#"/spec: "image" is a required property"#]);
}

#[test]
fn a_probe_without_a_path_is_rejected() {
    let mut app = main_spinapp();
    app["spec"]["checks"]["readiness"]["httpGet"] = json!({});
    assert_rejected(
        &app,
        &[r#"/spec/checks/readiness/httpGet: "path" is a required property"#],
    );
}

#[test]
fn a_secret_reference_without_a_key_is_rejected() {
    let mut app = main_spinapp();
    app["spec"]["variables"][0]["valueFrom"]["secretKeyRef"] = json!({ "name": "x" });
    assert_rejected(
        &app,
        &[r#"/spec/variables/0/valueFrom/secretKeyRef: "key" is a required property"#],
    );
}

#[test]
fn a_misspelt_field_is_rejected_not_silently_pruned() {
    let mut app = main_spinapp();
    let spec = app["spec"].as_object_mut().unwrap();
    let runtime_config = spec.remove("runtimeConfig").unwrap();
    spec.insert("runtimeconfig".into(), runtime_config);
    assert_rejected(
        &app,
        &["/spec/runtimeconfig: unknown field (not in the CRD schema)"],
    );
}

#[test]
fn an_out_of_range_int32_is_rejected() {
    let mut app = main_spinapp();
    app["spec"]["replicas"] = json!(4_294_967_296_i64);
    assert_rejected(
        &app,
        &["/spec/replicas: 4294967296 is not a 32-bit integer"],
    );
}

#[test]
fn a_wrong_api_version_is_rejected() {
    let mut app = main_spinapp();
    app["apiVersion"] = json!("core.spinoperator.dev/v1");
    assert_rejected(
        &app,
        &[
            r#"/apiVersion: is "core.spinoperator.dev/v1", the CRD serves "core.spinkube.dev/v1alpha1""#,
        ],
    );
}

#[test]
fn a_bad_object_name_is_rejected() {
    let mut app = main_spinapp();
    app["metadata"]["name"] = json!("Seed_Services");
    assert_rejected(
        &app,
        &[
            r#"/metadata/name: "Seed_Services" is not a DNS-1035 label (lower-case letters, digits and '-', at most 63)"#,
        ],
    );
}

#[test]
fn an_unset_required_variable_is_reported() {
    let mut app = main_spinapp();
    let variables = app["spec"]["variables"].as_array_mut().unwrap();
    variables.retain(|v| v["name"] != "internal_api_key");
    let problems = variable_problems(&app, &declared_variables());
    assert!(
        problems
            .iter()
            .any(|p| p.contains("internal_api_key is required")),
        "{problems:#?}"
    );
}

#[test]
fn a_secret_variable_given_as_a_literal_is_reported() {
    let mut app = main_spinapp();
    app["spec"]["variables"][0] = json!({ "name": "internal_api_key", "value": "hunter2" });
    let problems = variable_problems(&app, &declared_variables());
    assert!(
        problems.iter().any(|p| p.contains("is secret")),
        "{problems:#?}"
    );
}

#[test]
fn an_undeclared_variable_is_reported() {
    let mut app = main_spinapp();
    app["spec"]["variables"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "name": "token_ttl", "value": "60" }));
    let problems = variable_problems(&app, &declared_variables());
    assert!(
        problems
            .iter()
            .any(|p| p.contains("token_ttl is not declared")),
        "{problems:#?}"
    );
}

#[test]
fn a_selective_deployment_left_on_service_chaining_is_reported() {
    let mut auth = spinapps()
        .into_iter()
        .find(|d| d.value["metadata"]["name"] == "seed-auth")
        .expect("deploy/spinkube/split has the seed-auth SpinApp")
        .value;
    assert_eq!(
        chaining_problems(&auth, &spin_toml()).unwrap(),
        Vec::<String>::new()
    );
    auth["spec"]["variables"]
        .as_array_mut()
        .unwrap()
        .retain(|v| v["name"] != "analytics_url");
    let problems = chaining_problems(&auth, &spin_toml()).unwrap();
    assert!(
        problems.iter().any(|p| p.contains("analytics_url")),
        "{problems:#?}"
    );
}

#[test]
fn a_selective_deployment_without_the_channels_component_is_reported() {
    let mut notification = spinapps()
        .into_iter()
        .find(|d| d.value["metadata"]["name"] == "seed-notification")
        .expect("deploy/spinkube/split has the seed-notification SpinApp")
        .value;
    assert_eq!(
        chaining_problems(&notification, &spin_toml()).unwrap(),
        Vec::<String>::new()
    );
    notification["spec"]["components"]
        .as_array_mut()
        .unwrap()
        .retain(|c| c != "channels");
    let problems = chaining_problems(&notification, &spin_toml()).unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("notification chains to channels")),
        "{problems:#?}"
    );
}

#[test]
fn a_missing_crd_fails_with_a_clear_message() {
    let missing = Path::new("/nonexistent/shared/spinkube/core.spinkube.dev_spinapps.yaml");
    let error = match SpinAppSchema::load_from(missing) {
        Ok(_) => panic!("loading a missing CRD succeeded"),
        Err(e) => e.to_string(),
    };
    assert!(error.contains("SpinApp CRD not found"), "{error}");
    assert!(error.contains(&missing.display().to_string()), "{error}");
}

#[test]
fn a_crd_without_a_schema_is_refused() {
    let crd = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
spec:
  group: core.spinkube.dev
  names: { kind: SpinApp }
  versions:
    - name: v1alpha1
      storage: true
"#;
    let error = match SpinAppSchema::from_crd_yaml(crd) {
        Ok(_) => panic!("a CRD without openAPIV3Schema was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(error.contains("openAPIV3Schema"), "{error}");
}
