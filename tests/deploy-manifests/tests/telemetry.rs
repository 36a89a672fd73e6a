//! The telemetry manifests under `deploy/spinkube/telemetry/`: the SpinApp
//! (checked against the CRD with every other SpinApp) runs on an executor
//! defined there, which points Spin at the collector defined there, whose
//! configuration receives OTLP/HTTP and strips URLs before exporting.

use deploy_manifests::{Document, documents_under, parse_yaml_documents, spinkube_dir};
use serde_json::{Value, json};

fn documents() -> Vec<Document> {
    documents_under(&spinkube_dir().join("telemetry")).unwrap_or_else(|e| panic!("{e}"))
}

fn one<'a>(docs: &'a [Document], kind: &str, name: &str) -> &'a Value {
    let found: Vec<&Document> = docs
        .iter()
        .filter(|d| d.kind() == Some(kind) && d.value["metadata"]["name"] == name)
        .collect();
    assert_eq!(found.len(), 1, "expected one {kind} named {name}");
    &found[0].value
}

/// `http://<service>.<namespace>.svc.cluster.local:<port>` split up.
fn cluster_url(url: &str) -> (String, String, u64) {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("{url}: expected http://"));
    let (host, port) = rest
        .trim_end_matches('/')
        .split_once(':')
        .unwrap_or_else(|| panic!("{url}: expected a port"));
    let mut labels = host.split('.');
    let service = labels.next().unwrap().to_owned();
    let namespace = labels.next().unwrap_or_default().to_owned();
    assert_eq!(
        labels.collect::<Vec<_>>(),
        ["svc", "cluster", "local"],
        "{url}: expected <service>.<namespace>.svc.cluster.local"
    );
    (service, namespace, port.parse().expect("a numeric port"))
}

#[test]
fn the_traced_spinapp_exports_to_the_collector_defined_beside_it() {
    let docs = documents();
    let spinapps: Vec<&Document> = docs
        .iter()
        .filter(|d| d.kind() == Some("SpinApp"))
        .collect();
    assert_eq!(spinapps.len(), 1, "one traced SpinApp");
    let executor_name = spinapps[0].value["spec"]["executor"]
        .as_str()
        .expect("spec.executor");
    let executor = one(&docs, "SpinAppExecutor", executor_name);
    assert_eq!(executor["spec"]["createDeployment"], true);

    let endpoint = executor["spec"]["deploymentConfig"]["otel"]["exporter_otlp_endpoint"]
        .as_str()
        .expect("deploymentConfig.otel.exporter_otlp_endpoint");
    let (service_name, namespace, port) = cluster_url(endpoint);
    let service = one(&docs, "Service", &service_name);
    assert_eq!(service["metadata"]["namespace"], namespace.as_str());
    let service_port = service["spec"]["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .find(|p| p["port"] == port)
        .unwrap_or_else(|| panic!("{service_name} has no port {port}"));

    // The Service reaches the collector's OTLP/HTTP container port.
    let deployment = docs
        .iter()
        .find(|d| {
            d.kind() == Some("Deployment")
                && d.value["metadata"]["namespace"] == namespace.as_str()
                && service["spec"]["selector"]
                    .as_object()
                    .expect("selector")
                    .iter()
                    .all(|(k, v)| d.value["spec"]["template"]["metadata"]["labels"][k] == *v)
        })
        .map(|d| &d.value)
        .expect("a Deployment the collector Service selects");
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let container_port = container["ports"]
        .as_array()
        .expect("container ports")
        .iter()
        .find(|p| {
            p["name"] == service_port["targetPort"]
                || p["containerPort"] == service_port["targetPort"]
        })
        .and_then(|p| p["containerPort"].as_u64())
        .expect("the Service's targetPort is a container port");

    // Its configuration: the ConfigMap mounted into it.
    let config_map_name = deployment["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .find_map(|v| v["configMap"]["name"].as_str())
        .expect("a ConfigMap volume");
    let config_map = one(&docs, "ConfigMap", config_map_name);
    let text = config_map["data"]["config.yaml"]
        .as_str()
        .expect("config.yaml in the ConfigMap");
    let config = parse_yaml_documents(text, "collector config")
        .unwrap_or_else(|e| panic!("{e}"))
        .remove(0);
    let http = config["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
        .as_str()
        .expect("an OTLP/HTTP receiver");
    assert_eq!(
        http,
        format!("0.0.0.0:{container_port}"),
        "the receiver listens on all interfaces, on the container port"
    );

    for signal in ["traces", "logs"] {
        let pipeline = &config["service"]["pipelines"][signal];
        assert!(
            pipeline["receivers"]
                .as_array()
                .is_some_and(|r| r.iter().any(|r| r == "otlp")),
            "no {signal} pipeline from the OTLP receiver"
        );
    }
    // Spin exports inbound url.query and outbound url.full verbatim: the
    // traces pipeline must rewrite both before any exporter sees them, and
    // batch only what is already redacted.
    assert_eq!(
        config["service"]["pipelines"]["traces"]["processors"],
        json!(["transform/redact-urls", "batch"])
    );
    assert_eq!(
        config["processors"]["transform/redact-urls"],
        json!({
            "trace_statements": [{
                "context": "span",
                "statements": [
                    r#"replace_pattern(attributes["url.full"], "^([a-z]+://[^/?#]+).*$", "$$1")"#,
                    r#"delete_key(attributes, "url.query")"#,
                ],
            }],
        }),
        "the redaction changed: keep only scheme://host[:port] of url.full, drop url.query"
    );
}
