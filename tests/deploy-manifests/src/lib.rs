//! Checks for the manifests under `deploy/`.
//!
//! A SpinKube cluster validates every `SpinApp` against the
//! `openAPIV3Schema` of the SpinApp CRD and drops (or, with strict field
//! validation, rejects) fields the schema does not declare. This crate
//! reproduces both checks, reading the CRD pinned in [`crd`], so a
//! manifest that a cluster would refuse fails `cargo test` instead.

pub mod crd;
pub mod relay;
mod schema;
mod spin_toml;
mod spinapp;
mod yaml;

use std::fmt;
use std::path::{Path, PathBuf};

pub use schema::SpinAppSchema;
pub use spin_toml::{
    AppVariable, MountedFile, app_variables, component_ids, component_source,
    component_variable_refs, fixed_chaining_targets, key_value_store_labels, mounted_files,
    runtime_config_store_labels, service_chaining_target,
};
pub use spinapp::{
    VariableSource, chaining_problems, secret_string_data, spinapp_variables, variable_problems,
};
pub use yaml::{Document, documents_under, parse_yaml_documents, read_yaml_documents, yaml_files};

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
