//! Checks for the manifests under `deploy/`.
//!
//! A SpinKube cluster validates every `SpinApp` against the
//! `openAPIV3Schema` of the SpinApp CRD and drops (or, with strict field
//! validation, rejects) fields the schema does not declare. This crate
//! reproduces both checks, reading the CRD pinned in [`crd`], so a
//! manifest that a cluster would refuse fails `cargo test` instead.

pub mod crd;
pub mod relay;

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize as _;
use serde_json::Value;

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = here.join("../..");
    root.canonicalize().unwrap_or(root)
}

/// The directory holding the SpinKube manifests.
pub fn spinkube_dir() -> PathBuf {
    workspace_root().join("deploy/spinkube")
}

/// An error with a message meant for whoever reads the test output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

fn err(message: impl Into<String>) -> Error {
    Error(message.into())
}

/// Every YAML document in `text`, as JSON values. Empty documents are skipped.
pub fn parse_yaml_documents(text: &str, origin: &str) -> Result<Vec<Value>, Error> {
    let mut documents = Vec::new();
    for (index, document) in serde_norway::Deserializer::from_str(text).enumerate() {
        let value = Value::deserialize(document).map_err(|e| {
            err(format!(
                "{origin}: YAML document {index} does not parse: {e}"
            ))
        })?;
        if !value.is_null() {
            documents.push(value);
        }
    }
    Ok(documents)
}

/// Reads a YAML file into its documents.
pub fn read_yaml_documents(path: &Path) -> Result<Vec<Value>, Error> {
    let text = fs::read_to_string(path)
        .map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
    parse_yaml_documents(&text, &path.display().to_string())
}

/// All `.yaml`/`.yml` files under `dir`, recursively, sorted.
pub fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = fs::read_dir(&current)
            .map_err(|e| err(format!("cannot list {}: {e}", current.display())))?;
        for entry in entries {
            let path = entry
                .map_err(|e| err(format!("cannot list {}: {e}", current.display())))?
                .path();
            if path.is_dir() {
                pending.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// A manifest document found in a file.
#[derive(Debug, Clone)]
pub struct Document {
    pub path: PathBuf,
    pub index: usize,
    pub value: Value,
}

impl Document {
    /// `file.yaml#2` style label for messages.
    pub fn label(&self) -> String {
        format!("{}#{}", self.path.display(), self.index)
    }

    pub fn kind(&self) -> Option<&str> {
        self.value.get("kind").and_then(Value::as_str)
    }
}

/// Every document of every YAML file under `dir`.
pub fn documents_under(dir: &Path) -> Result<Vec<Document>, Error> {
    let mut found = Vec::new();
    for path in yaml_files(dir)? {
        for (index, value) in read_yaml_documents(&path)?.into_iter().enumerate() {
            found.push(Document {
                path: path.clone(),
                index,
                value,
            });
        }
    }
    Ok(found)
}

/// The SpinApp CRD's schema, ready to check manifests.
pub struct SpinAppSchema {
    api_version: String,
    kind: String,
    schema: Value,
    validator: jsonschema::Validator,
}

impl SpinAppSchema {
    /// Loads the pinned CRD ([`crd::crd_path`]).
    pub fn load() -> Result<Self, crd::CrdError> {
        let path = crd::crd_path()?;
        Self::load_from(&path).map_err(|e| crd::CrdError::Mismatch(e.0))
    }

    /// Loads the CRD from `path`; a missing file is an error that says where
    /// the file was expected and what it is.
    pub fn load_from(path: &Path) -> Result<Self, Error> {
        if !path.is_file() {
            return Err(err(format!(
                "SpinApp CRD not found at {}: the manifest checks need SpinKube's \
                 core.spinkube.dev_spinapps.yaml (spin-operator v0.6.1)",
                path.display()
            )));
        }
        let text = fs::read_to_string(path).map_err(|e| {
            err(format!(
                "cannot read the SpinApp CRD {}: {e}",
                path.display()
            ))
        })?;
        Self::from_crd_yaml(&text).map_err(|e| err(format!("SpinApp CRD {}: {e}", path.display())))
    }

    /// Builds the checker from the CRD's YAML text.
    pub fn from_crd_yaml(text: &str) -> Result<Self, Error> {
        let crd = parse_yaml_documents(text, "CRD")?
            .into_iter()
            .find(|d| d.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition"))
            .ok_or_else(|| err("no CustomResourceDefinition document"))?;
        let spec = crd.get("spec").ok_or_else(|| err("CRD has no spec"))?;
        let group = spec
            .get("group")
            .and_then(Value::as_str)
            .ok_or_else(|| err("CRD has no spec.group"))?;
        let kind = spec
            .pointer("/names/kind")
            .and_then(Value::as_str)
            .ok_or_else(|| err("CRD has no spec.names.kind"))?;
        let versions = spec
            .get("versions")
            .and_then(Value::as_array)
            .ok_or_else(|| err("CRD has no spec.versions"))?;
        // The version a cluster stores (and so validates against first).
        let version = versions
            .iter()
            .find(|v| v.get("storage") == Some(&Value::Bool(true)))
            .or_else(|| versions.first())
            .ok_or_else(|| err("CRD declares no version"))?;
        let version_name = version
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| err("CRD version has no name"))?;
        let schema = version
            .pointer("/schema/openAPIV3Schema")
            .cloned()
            .ok_or_else(|| err(format!("CRD version {version_name} has no openAPIV3Schema")))?;
        // OpenAPI v3 schemas are a JSON Schema draft-4 dialect; the
        // `x-kubernetes-*` extensions and `default` are annotations to it.
        let validator = jsonschema::draft4::new(&schema)
            .map_err(|e| err(format!("openAPIV3Schema is not a usable JSON Schema: {e}")))?;
        Ok(Self {
            api_version: format!("{group}/{version_name}"),
            kind: kind.to_owned(),
            schema,
            validator,
        })
    }

    /// `core.spinkube.dev/v1alpha1`, as read from the CRD.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// `SpinApp`, as read from the CRD.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Every reason a cluster would refuse `manifest`; empty when it is valid.
    pub fn violations(&self, manifest: &Value) -> Vec<String> {
        let mut found = Vec::new();
        for (field, expected) in [("apiVersion", &self.api_version), ("kind", &self.kind)] {
            match manifest.get(field).and_then(Value::as_str) {
                Some(actual) if actual == expected => {}
                Some(actual) => found.push(format!(
                    "/{field}: is {actual:?}, the CRD serves {expected:?}"
                )),
                None => found.push(format!("/{field}: missing (expected {expected:?})")),
            }
        }
        found.extend(self.validator.iter_errors(manifest).map(|e| {
            let at = e.instance_path().to_string();
            format!("{}: {e}", if at.is_empty() { "/" } else { &at })
        }));
        unknown_fields(&self.schema, manifest, "", &mut found);
        check_object_name(manifest, &mut found);
        found
    }
}

/// Fields the schema does not declare: Kubernetes prunes them silently (and
/// `kubectl apply` with strict field validation, its default, refuses
/// them), so a misspelt field would quietly do nothing. Also enforces
/// `format: int32`, which JSON Schema validators treat as an annotation.
fn unknown_fields(schema: &Value, instance: &Value, path: &str, found: &mut Vec<String>) {
    match instance {
        Value::Object(map) => {
            if schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
                return;
            }
            let properties = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            for (key, value) in map {
                let child = format!("{path}/{key}");
                if let Some(sub) = properties.and_then(|p| p.get(key)) {
                    unknown_fields(sub, value, &child, found);
                } else if let Some(sub) = additional {
                    unknown_fields(sub, value, &child, found);
                } else if properties.is_some() {
                    found.push(format!("{child}: unknown field (not in the CRD schema)"));
                }
            }
        }
        Value::Array(items) => {
            if let Some(sub) = schema.get("items") {
                for (index, item) in items.iter().enumerate() {
                    unknown_fields(sub, item, &format!("{path}/{index}"), found);
                }
            }
        }
        Value::Number(n) if schema.get("format").and_then(Value::as_str) == Some("int32") => {
            let fits = n.as_i64().is_some_and(|v| i32::try_from(v).is_ok());
            if !fits {
                found.push(format!("{path}: {n} is not a 32-bit integer"));
            }
        }
        _ => {}
    }
}

/// `metadata` is free-form in the CRD schema; the API server still requires
/// a name, and the operator names a Deployment and a Service after it, so
/// it must be a DNS-1035 label.
fn check_object_name(manifest: &Value, found: &mut Vec<String>) {
    match manifest.pointer("/metadata/name").and_then(Value::as_str) {
        None => found.push("/metadata/name: missing".to_owned()),
        Some(name) => {
            let bytes = name.as_bytes();
            let valid = !bytes.is_empty()
                && bytes.len() <= 63
                && bytes[0].is_ascii_lowercase()
                && bytes[bytes.len() - 1].is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
            if !valid {
                found.push(format!(
                    "/metadata/name: {name:?} is not a DNS-1035 label \
                     (lower-case letters, digits and '-', at most 63)"
                ));
            }
        }
    }
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
    let manifest: toml::Table =
        toml::from_str(spin_toml).map_err(|e| err(format!("spin.toml does not parse: {e}")))?;
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
    let manifest: toml::Table =
        toml::from_str(spin_toml).map_err(|e| err(format!("spin.toml does not parse: {e}")))?;
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
    let manifest: toml::Table =
        toml::from_str(spin_toml).map_err(|e| err(format!("spin.toml does not parse: {e}")))?;
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
    let manifest: toml::Table =
        toml::from_str(spin_toml).map_err(|e| err(format!("spin.toml does not parse: {e}")))?;
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
    let manifest: toml::Table =
        toml::from_str(spin_toml).map_err(|e| err(format!("spin.toml does not parse: {e}")))?;
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
    let manifest: toml::Table =
        toml::from_str(spin_toml).map_err(|e| err(format!("spin.toml does not parse: {e}")))?;
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
    let manifest: toml::Table =
        toml::from_str(spin_toml).map_err(|e| err(format!("spin.toml does not parse: {e}")))?;
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
            let bytes =
                decode_base64(encoded).ok_or_else(|| err(format!("data.{key} is not base64")))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| err(format!("data.{key} is not UTF-8 text")))?;
            entries.push((key.clone(), text));
        }
    }
    Ok(entries)
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer = 0u32;
    let mut bits = 0u32;
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            break;
        }
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes() {
        assert_eq!(decode_base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64("aGk=").unwrap(), b"hi");
        assert!(decode_base64("a*b").is_none());
    }

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

    #[test]
    fn empty_yaml_documents_are_skipped() {
        let docs = parse_yaml_documents("---\na: 1\n---\n---\nb: 2\n", "t").unwrap();
        assert_eq!(docs.len(), 2);
    }
}
