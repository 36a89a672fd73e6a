//! Spin gives a component dependency everything its parent has, or nothing
//! (`dependencies_inherit_configuration`). The provider components inherit,
//! so the one component they inherit from must hold the channel settings
//! and nothing else: no store, no other secret, no host but the APIs.

use std::fs;

use deploy_manifests::workspace_root;

fn manifest() -> toml::Table {
    let text = fs::read_to_string(workspace_root().join("spin.toml")).expect("spin.toml");
    toml::from_str(&text).expect("spin.toml parses")
}

fn components(manifest: &toml::Table) -> &toml::Table {
    manifest["component"]
        .as_table()
        .expect("[component.*] tables")
}

fn strings(value: Option<&toml::Value>) -> Vec<String> {
    value
        .and_then(toml::Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn only_the_channels_component_has_dependencies_and_it_holds_only_channel_settings() {
    let manifest = manifest();
    let components = components(&manifest);
    let with_dependencies: Vec<&String> = components
        .iter()
        .filter(|(_, component)| component.get("dependencies").is_some())
        .map(|(id, _)| id)
        .collect();
    assert_eq!(with_dependencies, ["channels"]);

    let channels = &components["channels"];
    assert_eq!(
        channels.get("dependencies_inherit_configuration"),
        Some(&toml::Value::Boolean(true)),
        "the default providers need their settings and hosts"
    );
    for capability in ["key_value_stores", "sqlite_databases", "files", "ai_models"] {
        assert!(
            channels.get(capability).is_none(),
            "the providers would inherit the channels component's {capability}"
        );
    }
    let mut variables: Vec<&String> = channels["variables"]
        .as_table()
        .expect("[component.channels.variables]")
        .keys()
        .collect();
    variables.sort();
    assert_eq!(
        variables,
        [
            "email_api_key",
            "email_api_url",
            "email_from",
            "sms_api_key",
            "sms_api_url",
            "sms_from"
        ]
    );
    assert_eq!(
        strings(channels.get("allowed_outbound_hosts")),
        ["{{ email_api_origin }}", "{{ sms_api_origin }}"]
    );
}

#[test]
fn the_channels_component_is_reachable_only_from_inside_the_app() {
    let manifest = manifest();
    let triggers = manifest["trigger"]["http"]
        .as_array()
        .expect("[[trigger.http]]");
    let routes: Vec<&toml::Value> = triggers
        .iter()
        .filter(|trigger| trigger["component"].as_str() == Some("channels"))
        .map(|trigger| &trigger["route"])
        .collect();
    assert_eq!(routes.len(), 1);
    assert_eq!(
        routes[0].get("private"),
        Some(&toml::Value::Boolean(true)),
        "{:?}",
        routes[0]
    );
    // And the component that calls it holds none of the providers' settings.
    let notification = &components(&manifest)["notification"];
    let variables = notification["variables"].as_table().expect("variables");
    assert!(
        variables
            .keys()
            .all(|name| !name.starts_with("email_") && !name.starts_with("sms_")),
        "{variables:?}"
    );
}
