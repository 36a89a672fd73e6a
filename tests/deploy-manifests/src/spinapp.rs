//! How a SpinApp manifest sets the application's variables, whether a
//! selective deployment still reaches every service it chains to, and what
//! a `Secret` holds.

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

use crate::{
    AppVariable, Error, app_variables, component_ids, component_variable_refs, err,
    fixed_chaining_targets, service_chaining_target,
};

/// For a selective deployment (`spec.components`): every application
/// variable whose default chains to a component the SpinApp does not run
/// (`http://<id>.spin.internal`) must be set to a real URL, because service
/// chaining does not cross selective deployments (spin-operator#357), and a
/// component that chains to another by a fixed host (a private route) must
/// run beside it. Also reports selected components that `spin.toml` does
/// not declare.
pub fn chaining_problems(manifest: &Value, spin_toml: &str) -> Result<Vec<String>, Error> {
    let Some(selected) = manifest
        .pointer("/spec/components")
        .and_then(Value::as_array)
    else {
        return Ok(Vec::new());
    };
    let selected: Vec<&str> = selected.iter().filter_map(Value::as_str).collect();
    let declared = app_variables(spin_toml)?;
    let known = component_ids(spin_toml)?;
    let set = spinapp_variables(manifest);
    let mut problems = Vec::new();
    for component in &selected {
        if !known.contains(*component) {
            problems.push(format!("component {component} is not in spin.toml"));
            continue;
        }
        for target in fixed_chaining_targets(spin_toml, component)? {
            if !selected.contains(&target.as_str()) {
                problems.push(format!(
                    "{component} chains to {target} on its private route, but {target} \
                     does not run in this SpinApp: select it too"
                ));
            }
        }
        for name in component_variable_refs(spin_toml, component)? {
            let Some(default) = declared
                .iter()
                .find(|v| v.name == name)
                .and_then(|v| v.default.as_deref())
            else {
                continue;
            };
            let Some(target) = service_chaining_target(default) else {
                continue;
            };
            if selected.contains(&target) {
                continue;
            }
            let value = set.iter().find(|(n, _)| *n == name).map(|(_, s)| s);
            let ok = matches!(value, Some(VariableSource::Literal(url))
                if !url.is_empty() && service_chaining_target(url).is_none());
            if !ok {
                problems.push(format!(
                    "{component} reaches {target} through {name} (default {default}), but \
                     {target} does not run in this SpinApp: set {name} to that service's URL"
                ));
            }
        }
    }
    Ok(problems)
}

/// How a SpinApp sets one variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VariableSource {
    /// A literal `value`.
    Literal(String),
    /// `valueFrom.secretKeyRef`: (secret name, key).
    Secret { name: String, key: String },
    /// Another `valueFrom` (ConfigMap, field reference, …).
    Other,
    /// Neither `value` nor `valueFrom`.
    Unset,
}

/// `spec.variables` of a SpinApp, in order.
pub fn spinapp_variables(manifest: &Value) -> Vec<(String, VariableSource)> {
    let Some(items) = manifest
        .pointer("/spec/variables")
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let name = item.get("name")?.as_str()?.to_owned();
            let source = if let Some(value) = item.get("value").and_then(Value::as_str) {
                VariableSource::Literal(value.to_owned())
            } else if let Some(from) = item.get("valueFrom") {
                match from.get("secretKeyRef") {
                    Some(r) => VariableSource::Secret {
                        name: r
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned(),
                        key: r
                            .get("key")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned(),
                    },
                    None => VariableSource::Other,
                }
            } else {
                VariableSource::Unset
            };
            Some((name, source))
        })
        .collect()
}

/// Problems with how a SpinApp sets the application's variables: a required
/// variable left unset, a secret one given as a literal, a name that
/// `spin.toml` does not declare (Spin would ignore it), or one set twice.
pub fn variable_problems(manifest: &Value, declared: &[AppVariable]) -> Vec<String> {
    let set = spinapp_variables(manifest);
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for (name, source) in &set {
        if !seen.insert(name.as_str()) {
            problems.push(format!("variable {name} is set more than once"));
        }
        match declared.iter().find(|d| &d.name == name) {
            None => problems.push(format!(
                "variable {name} is not declared in spin.toml [variables]; Spin would ignore it"
            )),
            Some(d) if d.secret && !matches!(source, VariableSource::Secret { .. }) => problems
                .push(format!(
                    "variable {name} is secret in spin.toml: take it from a Secret \
                     (valueFrom.secretKeyRef), not a literal"
                )),
            Some(_) => {}
        }
        if *source == VariableSource::Unset {
            problems.push(format!("variable {name} has neither value nor valueFrom"));
        }
    }
    for required in declared.iter().filter(|d| d.required) {
        let provided = set
            .iter()
            .any(|(name, source)| name == &required.name && *source != VariableSource::Unset);
        if !provided {
            problems.push(format!(
                "variable {} is required by spin.toml but the SpinApp does not set it",
                required.name
            ));
        }
    }
    problems
}

/// The string data of a `Secret` manifest (`stringData`, plus `data`
/// decoded from base64), by key.
pub fn secret_string_data(secret: &Value) -> Result<Vec<(String, String)>, Error> {
    let mut entries = Vec::new();
    if let Some(map) = secret.get("stringData").and_then(Value::as_object) {
        for (key, value) in map {
            let value = value
                .as_str()
                .ok_or_else(|| err(format!("stringData.{key} is not a string")))?;
            entries.push((key.clone(), value.to_owned()));
        }
    }
    if let Some(map) = secret.get("data").and_then(Value::as_object) {
        for (key, value) in map {
            let encoded = value
                .as_str()
                .ok_or_else(|| err(format!("data.{key} is not a string")))?;
            // Kubernetes accepts a value wrapped over several lines.
            let unwrapped: String = encoded.split_ascii_whitespace().collect();
            let bytes = BASE64
                .decode(unwrapped)
                .map_err(|e| err(format!("data.{key} is not base64: {e}")))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| err(format!("data.{key} is not UTF-8 text")))?;
            entries.push((key.clone(), text));
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_data_is_decoded_beside_string_data() {
        let secret = json!({"stringData": {"a": "plain"}, "data": {"b": "aGVs\n  bG8="}});
        assert_eq!(
            secret_string_data(&secret).unwrap(),
            [("a".into(), "plain".into()), ("b".into(), "hello".into())]
        );
    }

    #[test]
    fn secret_data_that_is_not_base64_is_an_error() {
        let secret = json!({"data": {"b": "a*b"}});
        let error = secret_string_data(&secret).unwrap_err();
        assert!(error.0.starts_with("data.b is not base64"), "{error}");
    }
}
