//! Copies of the repository's spin.toml for scenarios that run the app
//! changed (a provider swapped in, a mounted file left out), written into a
//! directory of the scenario's own.

use crate::app::repo_root;
use std::path::{Path, PathBuf};

/// What becomes of one line of spin.toml in a copy.
pub enum Line {
    Keep,
    Replace(String),
    Drop,
}

/// The prefix of a component's `files = [{ source = "…", … }]` line.
const FILES: &str = "files = ";

/// Writes `dir/name`: the repository's spin.toml with each line as `edit`
/// says. The components' `source` and `path` become absolute, so the copy
/// runs from anywhere; the files a component mounts are copied into `dir`
/// under the same relative paths, since Spin takes `files` only from within
/// the app's directory.
pub fn spin_toml_copy(dir: &Path, name: &str, mut edit: impl FnMut(&str) -> Line) -> PathBuf {
    let root = repo_root();
    let original =
        std::fs::read_to_string(root.join("spin.toml")).expect("read the repository's spin.toml");
    let mut text = String::new();
    for line in original.lines() {
        let line = match edit(line) {
            Line::Keep => line.to_owned(),
            Line::Replace(replaced) => replaced,
            Line::Drop => continue,
        };
        let line = if line.starts_with(FILES) {
            copy_mounted_files(&line, &root, dir);
            line
        } else {
            absolute_paths(&line, &root)
        };
        text.push_str(&line);
        text.push('\n');
    }
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the manifest copy");
    path
}

/// Writes into `dir` a copy of spin.toml that mounts no files: the auth
/// component without its common-password table.
pub fn manifest_without_mounted_files(dir: &Path) -> PathBuf {
    let mut dropped = 0;
    let path = spin_toml_copy(dir, "spin.no-files.toml", |line| {
        if line.starts_with(FILES) {
            dropped += 1;
            Line::Drop
        } else {
            Line::Keep
        }
    });
    assert!(dropped > 0, "spin.toml mounts no files");
    path
}

/// Copies the files a `files = [{ source = "…", … }]` line mounts from
/// `root` to the same relative paths under `dir`.
fn copy_mounted_files(line: &str, root: &Path, dir: &Path) {
    let sources: Vec<&str> = line
        .split("source = \"")
        .skip(1)
        .filter_map(|part| part.split('"').next())
        .collect();
    assert!(
        !sources.is_empty(),
        "a files line of spin.toml that names no source on its line: {line}"
    );
    for relative in sources {
        assert!(
            !relative.starts_with('/') && !relative.contains(".."),
            "spin.toml mounts {relative}, outside the app's directory"
        );
        let (from, to) = (root.join(relative), dir.join(relative));
        std::fs::create_dir_all(to.parent().expect("a file is in a directory"))
            .and_then(|()| std::fs::copy(&from, &to))
            .unwrap_or_else(|e| {
                panic!(
                    "copy {} for the manifest copy: {e} (build it with `spin build`)",
                    from.display()
                )
            });
    }
}

/// `source = "target/…"` and `path = "target/…"` relative to `root`.
fn absolute_paths(line: &str, root: &Path) -> String {
    let mut out = line.to_owned();
    for key in ["source = \"", "path = \""] {
        if let Some(start) = out.find(key).map(|i| i + key.len())
            && !out[start..].starts_with('/')
        {
            out.insert_str(start, &format!("{}/", root.display()));
        }
    }
    out
}
