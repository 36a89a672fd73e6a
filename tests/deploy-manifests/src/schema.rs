//! The SpinApp CRD's schema, and every reason a cluster would refuse a
//! manifest by it.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::{Error, crd, err, parse_yaml_documents};

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
