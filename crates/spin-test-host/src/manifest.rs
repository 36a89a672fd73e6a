//! `spin.toml` (manifest version 2), parsed and checked as `spin up` does
//! for what an HTTP application can use.
//!
//! Fields this host does not implement are still accepted when they are
//! empty or only matter to other tools (`build`, `tool`), so that the
//! project's real manifest loads unchanged; a non-empty unsupported field is
//! an error rather than being silently ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail, ensure};
use serde::Deserialize;

use crate::allowed_hosts;
use crate::variables::{self, AppVariable, Template};

/// A loaded, checked manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The directory holding `spin.toml`; relative paths resolve against it.
    pub dir: PathBuf,
    pub name: String,
    pub version: Option<String>,
    pub variables: BTreeMap<String, AppVariable>,
    /// HTTP triggers in manifest order.
    pub triggers: Vec<HttpTrigger>,
    /// Components by id.
    pub components: BTreeMap<String, Component>,
}

/// One `[[trigger.http]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpTrigger {
    pub component: String,
    pub route: Route,
}

/// A trigger's `route`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// A path pattern (`/auth/...`, `/exact`, `/users/:id`).
    Path(String),
    /// `{ private = true }`: reachable only by service chaining.
    Private,
}

/// One `[component.<id>]` table.
#[derive(Debug, Clone, Default)]
pub struct Component {
    /// Absolute path of the `.wasm` file.
    pub source: PathBuf,
    /// Component variable name -> template text.
    pub variables: BTreeMap<String, String>,
    /// WASI environment variables.
    pub environment: BTreeMap<String, String>,
    /// Host directory -> guest path, mounted read-only.
    pub files: Vec<(PathBuf, String)>,
    pub allowed_outbound_hosts: Vec<String>,
    pub key_value_stores: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    spin_manifest_version: toml::Value,
    application: RawApplication,
    #[serde(default)]
    variables: BTreeMap<String, RawVariable>,
    #[serde(default)]
    trigger: BTreeMap<String, Vec<toml::Table>>,
    #[serde(default)]
    component: BTreeMap<String, RawComponent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApplication {
    name: String,
    version: Option<String>,
    #[allow(dead_code)] // informational only
    description: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    authors: Vec<String>,
    /// `[application.trigger.http]` (`base`, which Spin 2+ ignores).
    #[allow(dead_code)]
    trigger: Option<toml::Table>,
    #[allow(dead_code)]
    targets: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariable {
    default: Option<String>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    secret: bool,
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    source: toml::Value,
    #[allow(dead_code)] // informational only
    description: Option<String>,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    #[serde(default)]
    files: Vec<toml::Value>,
    #[serde(default)]
    exclude_files: Vec<String>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    allowed_http_hosts: Vec<String>,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    sqlite_databases: Vec<String>,
    #[serde(default)]
    ai_models: Vec<String>,
    #[allow(dead_code)] // used by `spin build`, not by `spin up`
    build: Option<toml::Table>,
    #[allow(dead_code)]
    tool: Option<toml::Table>,
    #[allow(dead_code)]
    dependencies_inherit_configuration: Option<bool>,
    dependencies: Option<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttpTrigger {
    #[allow(dead_code)]
    id: Option<String>,
    component: Option<toml::Value>,
    route: toml::Value,
    executor: Option<toml::Table>,
    static_response: Option<toml::Table>,
}

impl Manifest {
    /// Reads and checks the manifest at `path`.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read manifest {}", path.display()))?;
        let dir = std::path::absolute(path)?
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Self::parse(&text, &dir)
            .with_context(|| format!("failed to load manifest {}", path.display()))
    }

    /// Parses manifest text whose relative paths resolve against `dir`.
    pub fn parse(text: &str, dir: &Path) -> anyhow::Result<Self> {
        let raw: RawManifest = toml::from_str(text)?;
        ensure!(
            raw.spin_manifest_version.as_integer() == Some(2),
            "only spin_manifest_version = 2 is supported"
        );

        let mut variables = BTreeMap::new();
        for (name, v) in raw.variables {
            variables::validate_key(&name).context("invalid application variable")?;
            if v.required && v.default.is_some() {
                bail!("variable {name:?}: `required` and `default` cannot both be set");
            }
            if !v.required && v.default.is_none() {
                bail!("variable {name:?}: must be `required = true` or have a `default`");
            }
            variables.insert(
                name,
                AppVariable {
                    default: v.default,
                    secret: v.secret,
                },
            );
        }

        let mut components = BTreeMap::new();
        for (id, raw) in raw.component {
            validate_component_id(&id)?;
            let component = Self::component(raw, dir, &variables)
                .with_context(|| format!("failed to load component `{id}`"))?;
            components.insert(id, component);
        }

        let mut triggers = Vec::new();
        for (kind, entries) in raw.trigger {
            ensure!(
                kind == "http",
                "trigger type `{kind}` is not supported by spin-test-host (only `http`)"
            );
            for table in entries {
                let trigger = parse_http_trigger(table)?;
                ensure!(
                    components.contains_key(&trigger.component),
                    "trigger references unknown component `{}`",
                    trigger.component
                );
                triggers.push(trigger);
            }
        }

        Ok(Self {
            dir: dir.to_path_buf(),
            name: raw.application.name,
            version: raw.application.version,
            variables,
            triggers,
            components,
        })
    }

    fn component(
        raw: RawComponent,
        dir: &Path,
        app_variables: &BTreeMap<String, AppVariable>,
    ) -> anyhow::Result<Component> {
        let source = match raw.source {
            toml::Value::String(s) => dir.join(s),
            _ => bail!("only a local file `source` is supported by spin-test-host"),
        };
        for (what, empty) in [
            ("sqlite_databases", raw.sqlite_databases.is_empty()),
            ("ai_models", raw.ai_models.is_empty()),
            ("dependencies", raw.dependencies.is_none()),
            ("exclude_files", raw.exclude_files.is_empty()),
        ] {
            ensure!(empty, "`{what}` is not supported by spin-test-host");
        }
        ensure!(
            raw.allowed_http_hosts.is_empty(),
            "`allowed_http_hosts` is not supported; use `allowed_outbound_hosts`"
        );
        // Templates must name declared variables, as Spin checks at load.
        for text in raw.variables.values() {
            check_template_variables(text, app_variables)?;
        }
        allowed_hosts::validate(&raw.allowed_outbound_hosts, app_variables)
            .context("`allowed_outbound_hosts` is malformed")?;
        let files = raw
            .files
            .into_iter()
            .map(|f| parse_file_mount(f, dir))
            .collect::<anyhow::Result<_>>()?;
        Ok(Component {
            source,
            variables: raw.variables,
            environment: raw.environment,
            files,
            allowed_outbound_hosts: raw.allowed_outbound_hosts,
            key_value_stores: raw.key_value_stores,
        })
    }
}

fn check_template_variables(
    text: &str,
    app_variables: &BTreeMap<String, AppVariable>,
) -> anyhow::Result<()> {
    let template = Template::parse(text)?;
    for name in template.variables() {
        ensure!(
            app_variables.contains_key(name),
            "invalid variable template: unknown variable {name:?}"
        );
    }
    Ok(())
}

/// Spin ids are kebab-case: lower-case letters and digits in words joined
/// by single hyphens, starting with a letter.
fn validate_component_id(id: &str) -> anyhow::Result<()> {
    let ok = id.split('-').all(|word| {
        !word.is_empty()
            && word
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    }) && id.starts_with(|c: char| c.is_ascii_lowercase());
    ensure!(
        ok,
        "component id {id:?} is not kebab-case (e.g. `my-component`)"
    );
    Ok(())
}

fn parse_http_trigger(table: toml::Table) -> anyhow::Result<HttpTrigger> {
    let raw: RawHttpTrigger = toml::Value::Table(table)
        .try_into()
        .context("invalid [[trigger.http]]")?;
    ensure!(
        raw.static_response.is_none(),
        "`static_response` triggers are not supported by spin-test-host"
    );
    if let Some(executor) = &raw.executor {
        let kind = executor.get("type").and_then(toml::Value::as_str);
        ensure!(
            matches!(kind, Some("spin") | Some("http")),
            "only the `spin`/`http` executor is supported by spin-test-host"
        );
    }
    let component = match raw.component {
        Some(toml::Value::String(id)) => id,
        Some(_) => bail!("inline trigger components are not supported by spin-test-host"),
        None => bail!("[[trigger.http]] needs a `component`"),
    };
    let route = match raw.route {
        toml::Value::String(r) => Route::Path(r),
        toml::Value::Table(t) => match t.get("private").and_then(toml::Value::as_bool) {
            Some(true) if t.len() == 1 => Route::Private,
            _ => bail!(
                "route must be a string pattern or '{{ private = true }}': component '{component}' has {t}"
            ),
        },
        other => bail!("invalid route {other}"),
    };
    Ok(HttpTrigger { component, route })
}

fn parse_file_mount(value: toml::Value, dir: &Path) -> anyhow::Result<(PathBuf, String)> {
    let toml::Value::Table(t) = value else {
        bail!(
            "only `files = [{{ source = \"dir\", destination = \"/path\" }}]` entries are supported by spin-test-host"
        );
    };
    let source = t
        .get("source")
        .and_then(toml::Value::as_str)
        .context("`files` entry needs `source`")?;
    let destination = t
        .get("destination")
        .and_then(toml::Value::as_str)
        .context("`files` entry needs `destination`")?;
    let source = dir.join(source);
    ensure!(
        source.is_dir(),
        "`files` source {} must be a directory",
        source.display()
    );
    Ok((source, destination.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = r#"
spin_manifest_version = 2

[application]
name = "t"
version = "0.1.0"

[variables]
key = { required = true, secret = true }
base = { default = "http://auth.spin.internal" }

[[trigger.http]]
route = "/auth/..."
component = "auth"

[[trigger.http]]
route = { private = true }
component = "inner"

[component.auth]
source = "target/auth.wasm"
key_value_stores = ["auth"]
allowed_outbound_hosts = ["{{ base }}"]
[component.auth.variables]
key = "{{ key }}"
url = "{{ base }}/verify"
[component.auth.build]
command = "cargo build"

[component.inner]
source = "/abs/inner.wasm"
"#;

    #[test]
    fn parses_the_shapes_the_project_uses() {
        let m = Manifest::parse(APP, Path::new("/app")).unwrap();
        assert_eq!(m.name, "t");
        assert_eq!(m.triggers.len(), 2);
        assert_eq!(m.triggers[0].route, Route::Path("/auth/...".into()));
        assert_eq!(m.triggers[1].route, Route::Private);
        let auth = &m.components["auth"];
        assert_eq!(auth.source, Path::new("/app/target/auth.wasm"));
        assert_eq!(auth.key_value_stores, ["auth"]);
        assert_eq!(m.components["inner"].source, Path::new("/abs/inner.wasm"));
        assert!(m.variables["key"].default.is_none());
        assert!(m.variables["key"].secret);
    }

    #[test]
    fn rejects_what_spin_rejects() {
        let bad_template = APP.replace("{{ base }}/verify", "{{ nope }}");
        assert!(Manifest::parse(&bad_template, Path::new("/")).is_err());
        let both = APP.replace(
            "key = { required = true, secret = true }",
            "key = { required = true, default = \"x\" }",
        );
        assert!(Manifest::parse(&both, Path::new("/")).is_err());
        let private_false = APP.replace("private = true", "private = false");
        assert!(Manifest::parse(&private_false, Path::new("/")).is_err());
        let bad_id = APP.replace("[component.inner]", "[component.Inner]");
        assert!(Manifest::parse(&bad_id, Path::new("/")).is_err());
        let unknown_field = APP.replace("key_value_stores", "key_value_storez");
        assert!(Manifest::parse(&unknown_field, Path::new("/")).is_err());
    }

    #[test]
    fn empty_default_in_allowed_hosts_refuses_to_load() {
        // Spin validates templated hosts with default values at load time:
        // a default of "" is not a host, so the app does not start.
        let text = APP
            .replace(
                "base = { default = \"http://auth.spin.internal\" }",
                "base = { default = \"http://auth.spin.internal\" }\nhook = { default = \"\" }",
            )
            .replace(
                "allowed_outbound_hosts = [\"{{ base }}\"]",
                "allowed_outbound_hosts = [\"{{ base }}\", \"{{ hook }}\"]",
            );
        let err = Manifest::parse(&text, Path::new("/")).unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains("using default variable value(s) with template \"{{ hook }}\" results in invalid config \"\""),
            "{msg}"
        );
    }
}
