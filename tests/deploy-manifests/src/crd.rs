//! Where the SpinApp CRD comes from: spin-operator v0.6.1's
//! `core.spinkube.dev_spinapps.yaml`, pinned by its SHA-256. The repository
//! keeps no copy of it; the checks read `SPINAPP_CRD` when set, else a
//! verified copy under `target/`, else the copy that machines without
//! internet access keep beside the project (`../shared/spinkube/`), else
//! fetch the pinned file once.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::{Error, workspace_root};

/// The CRD as published with spin-operator v0.6.1.
pub const CRD_URL: &str = "https://raw.githubusercontent.com/spinframework/spin-operator/v0.6.1/config/crd/bases/core.spinkube.dev_spinapps.yaml";

/// SHA-256 of the file at [`CRD_URL`].
pub const CRD_SHA256: &str = "08051de70925efe25bafca636c9b9410a4fe61e17015bd199be1efa04a5b5762";

/// Why no CRD could be had.
#[derive(Debug)]
pub enum CrdError {
    /// Neither set, cached nor fetchable (offline, no curl): the schema
    /// checks cannot run here.
    Unavailable(String),
    /// A file was found but is not the pinned CRD: always a failure.
    Mismatch(String),
}

/// The verified local copy of the CRD, fetched if needed.
pub fn crd_path() -> Result<PathBuf, CrdError> {
    if let Some(path) = std::env::var_os("SPINAPP_CRD").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        verify(&path).map_err(CrdError::Mismatch)?;
        return Ok(path);
    }
    let cached = workspace_root().join("target/spinkube/core.spinkube.dev_spinapps-v0.6.1.yaml");
    if cached.is_file() && verify(&cached).is_ok() {
        return Ok(cached);
    }
    let beside = workspace_root().join("../shared/spinkube/core.spinkube.dev_spinapps.yaml");
    if beside.is_file() {
        verify(&beside).map_err(CrdError::Mismatch)?;
        return Ok(beside);
    }
    fetch(&cached)?;
    Ok(cached)
}

fn fetch(to: &Path) -> Result<(), CrdError> {
    let unavailable = |why: String| {
        CrdError::Unavailable(format!(
            "the SpinApp CRD could not be fetched ({why}); fetch it with \
             `curl -fsSL -o /tmp/crd.yaml {CRD_URL}` and set SPINAPP_CRD=/tmp/crd.yaml (an absolute path: the tests run in their own directory)"
        ))
    };
    let dir = to.parent().expect("the cache has a parent directory");
    std::fs::create_dir_all(dir).map_err(|e| unavailable(e.to_string()))?;
    let partial = to.with_extension("part");
    let output = Command::new("curl")
        .args(["-fsSL", "--max-time", "30", "-o"])
        .arg(&partial)
        .arg(CRD_URL)
        .output()
        .map_err(|e| unavailable(format!("curl: {e}")))?;
    if !output.status.success() {
        let _ = std::fs::remove_file(&partial);
        return Err(unavailable(
            String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        ));
    }
    verify(&partial).map_err(CrdError::Mismatch)?;
    std::fs::rename(&partial, to).map_err(|e| unavailable(e.to_string()))
}

fn verify(path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let digest = format!("{:x}", Sha256::digest(&bytes));
    if digest == CRD_SHA256 {
        Ok(())
    } else {
        Err(format!(
            "{} is not spin-operator v0.6.1's SpinApp CRD: SHA-256 {digest}, expected {CRD_SHA256}",
            path.display()
        ))
    }
}

impl std::fmt::Display for CrdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unavailable(why) | Self::Mismatch(why) => f.write_str(why),
        }
    }
}

impl From<CrdError> for Error {
    fn from(error: CrdError) -> Self {
        Error(error.to_string())
    }
}
