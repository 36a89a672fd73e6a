//! The README's runtime config that gives every application variable by
//! Spin's `static` provider: it must name exactly the variables `spin.toml`
//! declares, with their defaults, or a variable added later would quietly
//! go back through the environment provider (or lose its value).

use std::fs;

use deploy_manifests::{app_variables, workspace_root};

/// The README's TOML block that declares a variables provider.
fn readme_static_provider() -> toml::Table {
    let readme = fs::read_to_string(workspace_root().join("README.md")).expect("README.md");
    let block = readme
        .split("```toml\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .find(|block| block.contains("[[variables_provider]]"))
        .expect("the README shows a runtime config with a variables provider");
    toml::from_str(block).unwrap_or_else(|e| panic!("the README's provider block: {e}"))
}

#[test]
fn the_readme_static_provider_gives_every_variable_its_default() {
    let config = readme_static_provider();
    let providers = config["variables_provider"]
        .as_array()
        .expect("[[variables_provider]] is an array of tables");
    assert_eq!(providers.len(), 1);
    assert_eq!(providers[0]["type"].as_str(), Some("static"));
    let values = providers[0]["values"].as_table().expect("values table");

    let spin_toml = fs::read_to_string(workspace_root().join("spin.toml")).expect("spin.toml");
    let declared = app_variables(&spin_toml).unwrap_or_else(|e| panic!("{e}"));
    let mut given: Vec<&str> = values.keys().map(String::as_str).collect();
    let mut names: Vec<&str> = declared.iter().map(|v| v.name.as_str()).collect();
    given.sort_unstable();
    names.sort_unstable();
    assert_eq!(given, names, "the README's static provider and spin.toml");

    for variable in &declared {
        let value = values[&variable.name].as_str().expect("a string value");
        match &variable.default {
            Some(default) => assert_eq!(value, default, "{}", variable.name),
            // A required variable has no default: the block shows a placeholder.
            None => assert!(!value.is_empty(), "{} has a placeholder", variable.name),
        }
    }
}
