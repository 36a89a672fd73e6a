//! What the application's own Spin files declare: `spin.toml` (variables,
//! stores, mounted files, components and whom they chain to) and a
//! runtime config (its stores).

use std::collections::BTreeSet;

use crate::{Error, err};

/// `spin.toml` (or any Spin manifest) parsed as a TOML table.
fn parse(spin_toml: &str) -> Result<toml::Table, Error> {
    toml::from_str(spin_toml).map_err(|e| err(format!("spin.toml does not parse: {e}")))
}

/// An application variable declared in `spin.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppVariable {
    pub name: String,
    pub required: bool,
    pub secret: bool,
    pub default: Option<String>,
}

/// The `[variables]` table of a Spin manifest.
pub fn app_variables(spin_toml: &str) -> Result<Vec<AppVariable>, Error> {
    let manifest = parse(spin_toml)?;
    let Some(variables) = manifest.get("variables") else {
        return Ok(Vec::new());
    };
    let variables = variables
        .as_table()
        .ok_or_else(|| err("spin.toml: [variables] is not a table"))?;
    variables
        .iter()
        .map(|(name, decl)| {
            let decl = decl
                .as_table()
                .ok_or_else(|| err(format!("spin.toml: variable {name} is not a table")))?;
            let flag = |key: &str| decl.get(key).and_then(toml::Value::as_bool) == Some(true);
            Ok(AppVariable {
                name: name.clone(),
                required: flag("required"),
                secret: flag("secret"),
                default: decl
                    .get("default")
                    .and_then(toml::Value::as_str)
                    .map(str::to_owned),
            })
        })
        .collect()
}

/// Every key-value store label the components of a Spin manifest use.
pub fn key_value_store_labels(spin_toml: &str) -> Result<BTreeSet<String>, Error> {
    let manifest = parse(spin_toml)?;
    let mut labels = BTreeSet::new();
    if let Some(components) = manifest.get("component").and_then(toml::Value::as_table) {
        for component in components.values() {
            if let Some(stores) = component
                .get("key_value_stores")
                .and_then(toml::Value::as_array)
            {
                labels.extend(stores.iter().filter_map(|s| s.as_str().map(str::to_owned)));
            }
        }
    }
    Ok(labels)
}

/// A file a component of a Spin manifest mounts (`files`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountedFile {
    pub component: String,
    /// The file in the app's directory, as spin.toml names it.
    pub source: String,
    /// Where the component sees it.
    pub destination: String,
}

/// Every `{ source, destination }` entry of the components' `files`; an
/// entry of another form (a glob string) is an error, as this check does
/// not expand it.
pub fn mounted_files(spin_toml: &str) -> Result<Vec<MountedFile>, Error> {
    let manifest = parse(spin_toml)?;
    let mut mounted = Vec::new();
    let Some(components) = manifest.get("component").and_then(toml::Value::as_table) else {
        return Ok(mounted);
    };
    for (component, decl) in components {
        let Some(files) = decl.get("files").and_then(toml::Value::as_array) else {
            continue;
        };
        for entry in files {
            let field = |name: &str| {
                entry
                    .get(name)
                    .and_then(toml::Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        err(format!(
                            "spin.toml: component {component} mounts {entry}, not {{ source, destination }}"
                        ))
                    })
            };
            mounted.push(MountedFile {
                component: component.clone(),
                source: field("source")?,
                destination: field("destination")?,
            });
        }
    }
    Ok(mounted)
}

/// The `source` of a component of a Spin manifest: its `.wasm` file.
pub fn component_source(spin_toml: &str, component: &str) -> Result<String, Error> {
    let manifest = parse(spin_toml)?;
    manifest
        .get("component")
        .and_then(|c| c.get(component))
        .and_then(|decl| decl.get("source"))
        .and_then(toml::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            err(format!(
                "spin.toml: component {component} has no source path"
            ))
        })
}

/// The component ids a Spin manifest declares.
pub fn component_ids(spin_toml: &str) -> Result<BTreeSet<String>, Error> {
    let manifest = parse(spin_toml)?;
    Ok(manifest
        .get("component")
        .and_then(toml::Value::as_table)
        .map(|components| components.keys().cloned().collect())
        .unwrap_or_default())
}

/// The application variables a component uses: those named by `{{ name }}`
/// templates in its `[component.X.variables]` and `allowed_outbound_hosts`.
pub fn component_variable_refs(
    spin_toml: &str,
    component: &str,
) -> Result<BTreeSet<String>, Error> {
    let manifest = parse(spin_toml)?;
    let Some(decl) = manifest
        .get("component")
        .and_then(|c| c.get(component))
        .and_then(toml::Value::as_table)
    else {
        return Err(err(format!("spin.toml has no component {component}")));
    };
    let mut templates: Vec<&str> = Vec::new();
    if let Some(variables) = decl.get("variables").and_then(toml::Value::as_table) {
        templates.extend(variables.values().filter_map(toml::Value::as_str));
    }
    if let Some(hosts) = decl
        .get("allowed_outbound_hosts")
        .and_then(toml::Value::as_array)
    {
        templates.extend(hosts.iter().filter_map(toml::Value::as_str));
    }
    let mut names = BTreeSet::new();
    for template in templates {
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else { break };
            names.insert(after[..end].trim().to_owned());
            rest = &after[end + 2..];
        }
    }
    Ok(names)
}

/// The components a component chains to by a fixed host: entries of its
/// `allowed_outbound_hosts` such as `http://channels.spin.internal`, with
/// no variable in them.
pub fn fixed_chaining_targets(spin_toml: &str, component: &str) -> Result<Vec<String>, Error> {
    let manifest = parse(spin_toml)?;
    let hosts = manifest
        .get("component")
        .and_then(|c| c.get(component))
        .and_then(|c| c.get("allowed_outbound_hosts"))
        .and_then(toml::Value::as_array);
    Ok(hosts
        .into_iter()
        .flatten()
        .filter_map(toml::Value::as_str)
        .filter(|host| !host.contains("{{"))
        .filter_map(service_chaining_target)
        .map(str::to_owned)
        .collect())
}

/// The component a `http://<id>.spin.internal…` URL chains to, if any.
pub fn service_chaining_target(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = rest.split(['/', ':']).next()?;
    host.strip_suffix(".spin.internal")
}

/// The store labels a runtime-config file declares (`[key_value_store.X]`).
pub fn runtime_config_store_labels(runtime_config: &str) -> Result<BTreeSet<String>, Error> {
    let config: toml::Table = toml::from_str(runtime_config)
        .map_err(|e| err(format!("runtime config does not parse: {e}")))?;
    Ok(config
        .get("key_value_store")
        .and_then(toml::Value::as_table)
        .map(|stores| stores.keys().cloned().collect())
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chaining_targets_are_recognised() {
        assert_eq!(
            service_chaining_target("http://auth.spin.internal"),
            Some("auth")
        );
        assert_eq!(
            service_chaining_target("http://auth.spin.internal:80/x"),
            Some("auth")
        );
        assert_eq!(service_chaining_target("http://seed-auth"), None);
        assert_eq!(service_chaining_target(""), None);
    }
}
