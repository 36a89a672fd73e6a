//! The runtime configuration file (`--runtime-config-file`), read with
//! Spin's rules for the parts this host implements.
//!
//! - `[key_value_store.<label>]` with `type = "spin"` (SQLite; a relative
//!   `path` is resolved against the directory of the runtime-config file,
//!   no `path` means in-memory) or `type = "redis"` (`url`).
//! - `[[variables_provider]]` (alias `config_provider`) with
//!   `type = "static"` and a `values` table.
//! - `state_dir` and `log_dir` (an empty string means "unset").
//!
//! Like Spin, a key it does not know is an error. Keys that Spin knows but
//! this host does not implement are rejected with a clear message rather
//! than ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::Deserialize;

/// Where a key-value store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// Spin's SQLite store; `None` is an in-memory database.
    Sqlite(Option<PathBuf>),
    /// A Redis server (`redis://` or `rediss://` URL).
    Redis(String),
}

/// A directory setting that may be left to its default or explicitly unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DirSetting {
    #[default]
    Default,
    Unset,
    Path(PathBuf),
}

/// The parsed file.
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    /// Label -> store, as declared (the implicit `default` store is added
    /// by [`RuntimeConfig::stores`]).
    pub key_value_stores: BTreeMap<String, StoreConfig>,
    /// Static variable providers, in file order.
    pub static_variables: Vec<BTreeMap<String, String>>,
    pub state_dir: DirSetting,
    pub log_dir: DirSetting,
}

#[derive(Deserialize)]
struct SpinStore {
    path: Option<PathBuf>,
}

#[derive(Deserialize)]
struct RedisStore {
    url: String,
}

/// Keys Spin accepts that this host deliberately does not implement.
const UNSUPPORTED: &[&str] = &[
    "sqlite_database",
    "llm_compute",
    "client_tls",
    "outbound_networking",
    "blob_store",
    "otel",
];

impl RuntimeConfig {
    /// Reads `path`; relative store paths resolve against its directory.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read runtime config file '{}'", path.display()))?;
        let dir = path.parent().unwrap_or(Path::new(""));
        Self::parse(&text, dir)
            .with_context(|| format!("failed to load runtime config file '{}'", path.display()))
    }

    /// Parses runtime-config text whose relative paths resolve against `dir`.
    pub fn parse(text: &str, dir: &Path) -> anyhow::Result<Self> {
        let table: toml::Table = toml::from_str(text).context("not valid TOML")?;
        let mut config = Self::default();
        let mut unused = Vec::new();
        for (key, value) in table {
            match key.as_str() {
                "key_value_store" => {
                    let stores: BTreeMap<String, toml::Table> = value.try_into()?;
                    for (label, store) in stores {
                        let parsed = parse_store(store, dir).with_context(|| {
                            format!("could not configure key-value store with label '{label}'")
                        })?;
                        config.key_value_stores.insert(label, parsed);
                    }
                }
                "variables_provider" | "config_provider" => {
                    let providers: Vec<toml::Table> = value.try_into()?;
                    for provider in providers {
                        config
                            .static_variables
                            .push(parse_static_provider(provider)?);
                    }
                }
                "state_dir" => config.state_dir = parse_dir(&value)?,
                "log_dir" => config.log_dir = parse_dir(&value)?,
                k if UNSUPPORTED.contains(&k) => {
                    bail!("runtime config `{k}` is not supported by spin-test-host")
                }
                _ => unused.push(key),
            }
        }
        if !unused.is_empty() {
            bail!("unused runtime config key(s): {}", unused.join(", "));
        }
        Ok(config)
    }

    /// Every store the app can open: the declared ones plus Spin's implicit
    /// `default` store, a SQLite file `sqlite_key_value.db` in the state
    /// directory (`<app dir>/.spin` unless `state_dir` says otherwise;
    /// in-memory when `state_dir = ""`).
    pub fn stores(&self, app_dir: &Path) -> anyhow::Result<BTreeMap<String, StoreConfig>> {
        let mut stores = self.key_value_stores.clone();
        if !stores.contains_key("default") {
            let path = self
                .state_dir(app_dir)?
                .map(|d| d.join("sqlite_key_value.db"));
            stores.insert("default".into(), StoreConfig::Sqlite(path));
        }
        Ok(stores)
    }

    /// The resolved state directory (`None` when unset).
    pub fn state_dir(&self, app_dir: &Path) -> anyhow::Result<Option<PathBuf>> {
        Ok(match &self.state_dir {
            DirSetting::Default => Some(app_dir.join(".spin")),
            DirSetting::Unset => None,
            DirSetting::Path(p) => Some(std::path::absolute(p)?),
        })
    }

    /// The resolved log directory: `log_dir`, else `<state dir>/logs`.
    pub fn log_dir(&self, app_dir: &Path) -> anyhow::Result<Option<PathBuf>> {
        Ok(match &self.log_dir {
            DirSetting::Default => self.state_dir(app_dir)?.map(|d| d.join("logs")),
            DirSetting::Unset => None,
            DirSetting::Path(p) => Some(std::path::absolute(p)?),
        })
    }
}

fn parse_store(mut table: toml::Table, dir: &Path) -> anyhow::Result<StoreConfig> {
    let kind = match table.remove("type") {
        Some(toml::Value::String(s)) => s,
        _ => bail!("missing `type`"),
    };
    match kind.as_str() {
        "spin" => {
            let store: SpinStore = toml::Value::Table(table)
                .try_into()
                .context("could not parse key-value runtime config")?;
            // Spin joins a relative path onto the runtime-config directory;
            // an absolute path is kept as is.
            Ok(StoreConfig::Sqlite(store.path.map(|p| dir.join(p))))
        }
        "redis" => {
            let store: RedisStore = toml::Value::Table(table)
                .try_into()
                .context("could not parse key-value runtime config")?;
            Ok(StoreConfig::Redis(store.url))
        }
        "azure_cosmos" | "aws_dynamo" => {
            bail!("key-value store type '{kind}' is not supported by spin-test-host")
        }
        other => bail!("the store type '{other}' was not registered with the config resolver"),
    }
}

fn parse_static_provider(mut table: toml::Table) -> anyhow::Result<BTreeMap<String, String>> {
    match table.remove("type").as_ref().and_then(toml::Value::as_str) {
        Some("static") => {}
        Some(other) => {
            bail!("variables provider type `{other}` is not supported by spin-test-host")
        }
        None => bail!("variables provider without `type`"),
    }
    let values = table
        .remove("values")
        .unwrap_or(toml::Value::Table(Default::default()));
    values
        .try_into()
        .context("static provider `values` must map names to strings")
}

fn parse_dir(value: &toml::Value) -> anyhow::Result<DirSetting> {
    match value.as_str() {
        Some("") => Ok(DirSetting::Unset),
        Some(p) => Ok(DirSetting::Path(PathBuf::from(p))),
        None => bail!("directory settings must be strings"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_sqlite_paths_resolve_against_the_config_directory() {
        let text = r#"
[key_value_store.auth]
type = "spin"
path = ".spin/auth.db"

[key_value_store.abs]
type = "spin"
path = "/var/abs.db"

[key_value_store.mem]
type = "spin"

[key_value_store.cache]
type = "redis"
url = "redis://127.0.0.1:6379/1"
"#;
        let c = RuntimeConfig::parse(text, Path::new("/etc/app")).unwrap();
        assert_eq!(
            c.key_value_stores["auth"],
            StoreConfig::Sqlite(Some("/etc/app/.spin/auth.db".into()))
        );
        assert_eq!(
            c.key_value_stores["abs"],
            StoreConfig::Sqlite(Some("/var/abs.db".into()))
        );
        assert_eq!(c.key_value_stores["mem"], StoreConfig::Sqlite(None));
        assert_eq!(
            c.key_value_stores["cache"],
            StoreConfig::Redis("redis://127.0.0.1:6379/1".into())
        );
    }

    #[test]
    fn default_store_lives_in_the_state_dir() {
        let c = RuntimeConfig::default();
        let stores = c.stores(Path::new("/app")).unwrap();
        assert_eq!(
            stores["default"],
            StoreConfig::Sqlite(Some("/app/.spin/sqlite_key_value.db".into()))
        );
        let c = RuntimeConfig::parse("state_dir = \"\"", Path::new("/")).unwrap();
        assert_eq!(
            c.stores(Path::new("/app")).unwrap()["default"],
            StoreConfig::Sqlite(None)
        );
        assert_eq!(c.log_dir(Path::new("/app")).unwrap(), None);
    }

    #[test]
    fn static_variables_and_unknown_keys() {
        let c = RuntimeConfig::parse(
            "[[variables_provider]]\ntype = \"static\"\nvalues = { a = \"1\" }\n",
            Path::new("/"),
        )
        .unwrap();
        assert_eq!(c.static_variables[0]["a"], "1");
        let err = RuntimeConfig::parse("baz = 1", Path::new("/")).unwrap_err();
        assert_eq!(err.to_string(), "unused runtime config key(s): baz");
        assert!(
            RuntimeConfig::parse("[key_value_store.x]\ntype = \"nope\"", Path::new("/")).is_err()
        );
    }
}
