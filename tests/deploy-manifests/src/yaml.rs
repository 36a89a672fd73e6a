//! Reading the YAML manifests: every document of every file, as JSON values.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize as _;
use serde_json::Value;

use crate::{Error, err};

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

/// All `.yaml`/`.yml` files under `dir`, recursively, sorted; and the
/// example manifests (`.yaml.example`), which `kubectl apply -f <dir>`
/// leaves out, so that applying a directory never applies a placeholder.
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
            } else if is_manifest(&path) {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn is_manifest(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    [".yaml", ".yml", ".yaml.example"]
        .iter()
        .any(|ending| name.ends_with(ending))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_yaml_documents_are_skipped() {
        let docs = parse_yaml_documents("---\na: 1\n---\n---\nb: 2\n", "t").unwrap();
        assert_eq!(docs.len(), 2);
    }
}
