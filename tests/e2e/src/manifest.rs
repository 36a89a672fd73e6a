//! Copies of the repository's spin.toml for scenarios that run the app
//! changed (a provider swapped in, a mounted file left out), written into a
//! directory of the scenario's own.

use crate::app::repo_root;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

/// Writes `dir/name`: the repository's spin.toml as `edit` changes it. The
/// components' `source` and their dependencies' `path` become absolute, so
/// the copy runs from anywhere; the files a component mounts are copied
/// into `dir` under the same relative paths, since Spin takes `files` only
/// from within the app's directory.
pub fn spin_toml_copy(dir: &Path, name: &str, edit: impl FnOnce(&mut Table)) -> PathBuf {
    let root = repo_root();
    let text =
        std::fs::read_to_string(root.join("spin.toml")).expect("read the repository's spin.toml");
    let mut manifest: Table = text.parse().expect("the repository's spin.toml parses");
    edit(&mut manifest);
    for (_, component) in components(&mut manifest).iter_mut() {
        let component = component.as_table_mut().expect("a component is a table");
        make_absolute(component, "source", &root);
        if let Some(dependencies) = component
            .get_mut("dependencies")
            .and_then(Value::as_table_mut)
        {
            for (_, dependency) in dependencies.iter_mut() {
                let Some(dependency) = dependency.as_table_mut() else {
                    continue; // a registry version: no path
                };
                make_absolute(dependency, "path", &root);
            }
        }
        for file in component
            .get("files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            copy_mounted_file(file, &root, dir);
        }
    }
    let path = dir.join(name);
    std::fs::write(&path, manifest.to_string()).expect("write the manifest copy");
    path
}

/// Writes into `dir` a copy of spin.toml that mounts no files: the auth
/// component without its common-password table.
pub fn manifest_without_mounted_files(dir: &Path) -> PathBuf {
    spin_toml_copy(dir, "spin.no-files.toml", |manifest| {
        let dropped = components(manifest)
            .iter_mut()
            .filter_map(|(_, component)| component.as_table_mut()?.remove("files"))
            .count();
        assert!(dropped > 0, "spin.toml mounts no files");
    })
}

/// The `[component.*]` tables of a manifest.
pub fn components(manifest: &mut Table) -> &mut Table {
    manifest
        .get_mut("component")
        .and_then(Value::as_table_mut)
        .expect("spin.toml declares components")
}

/// `table[key]`, a path relative to `root`, made absolute.
fn make_absolute(table: &mut Table, key: &str, root: &Path) {
    if let Some(Value::String(path)) = table.get_mut(key)
        && !path.starts_with('/')
    {
        *path = root.join(&*path).to_string_lossy().into_owned();
    }
}

/// Copies the file a `files` entry (`{ source, destination }`) mounts from
/// `root` to the same relative path under `dir`.
fn copy_mounted_file(entry: &Value, root: &Path, dir: &Path) {
    let relative = entry
        .get("source")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("a files entry of spin.toml that names no source: {entry}"));
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
