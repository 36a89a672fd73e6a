//! The runtime config an app under test starts with: the repository's own,
//! with its SQLite files moved into the app's state directory or its Redis
//! databases moved onto the app's Redis server.

use std::path::{Path, PathBuf};

use reqwest::Url;

use crate::app::repo_root;

/// Writes into `dir` the repository's runtime config for SQLite stores, or
/// with `redis_url` the one for Redis stores, pointed at `dir` or at that
/// server; returns its path.
pub fn write_runtime_config(dir: &Path, redis_url: Option<&str>) -> PathBuf {
    let name = config_name(redis_url);
    let text = std::fs::read_to_string(repo_root().join(name))
        .unwrap_or_else(|e| panic!("reading {name}: {e}"));
    let path = dir.join(name);
    std::fs::write(&path, rewrite_runtime_config(&text, dir, redis_url))
        .expect("write runtime config");
    path
}

fn config_name(redis_url: Option<&str>) -> &'static str {
    match redis_url {
        None => "runtime-config.toml",
        Some(_) => "runtime-config.redis.toml",
    }
}

/// Where an app keeps one of its stores.
#[derive(Debug, PartialEq)]
pub enum StoreLocation {
    File(PathBuf),
    RedisDatabase(u32),
}

/// Where the runtime config [`write_runtime_config`] wrote into `dir` (with
/// the same `redis_url`) keeps the store `label`.
pub fn store_location(dir: &Path, redis_url: Option<&str>, label: &str) -> StoreLocation {
    let path = dir.join(config_name(redis_url));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    location_in(&text, label)
}

fn location_in(text: &str, label: &str) -> StoreLocation {
    let config: toml::Table = toml::from_str(text).expect("the runtime config parses");
    let store = config
        .get("key_value_store")
        .and_then(|stores| stores.get(label))
        .unwrap_or_else(|| panic!("no store {label} in the runtime config"));
    let setting = |key: &str| store.get(key).and_then(toml::Value::as_str);
    if let Some(path) = setting("path") {
        return StoreLocation::File(PathBuf::from(path));
    }
    let url = setting("url").unwrap_or_else(|| panic!("store {label} has no path or url"));
    let url = Url::parse(url).expect("a store's Redis URL");
    let database = url.path().trim_start_matches('/');
    StoreLocation::RedisDatabase(match database {
        "" => 0,
        number => number.parse().expect("a Redis database number"),
    })
}

/// Puts every SQLite store's file (its name kept) into `dir`, and every
/// Redis store's database (its number kept) on the server of `redis_url`.
fn rewrite_runtime_config(text: &str, dir: &Path, redis_url: Option<&str>) -> String {
    let mut config: toml::Table = toml::from_str(text).expect("the runtime config parses");
    let stores = config
        .get_mut("key_value_store")
        .and_then(toml::Value::as_table_mut)
        .expect("[key_value_store.<label>] tables in the runtime config");
    assert!(
        stores.len() >= 3,
        "expected a store per service in:\n{text}"
    );
    for (label, store) in stores.iter_mut() {
        let store = store.as_table_mut().expect("a store is a table");
        let setting = |key: &str| {
            store
                .get(key)
                .and_then(toml::Value::as_str)
                .unwrap_or_else(|| panic!("store {label} has no {key}"))
                .to_owned()
        };
        let (key, value) = match setting("type").as_str() {
            "spin" => {
                let file = PathBuf::from(setting("path"));
                let file = file.file_name().expect("a file name in a store's path");
                ("path", dir.join(file).to_string_lossy().into_owned())
            }
            "redis" => {
                let server = redis_url.expect("a Redis server for Redis stores");
                ("url", same_database_on(&setting("url"), server))
            }
            other => panic!("store {label} is of type {other}, which the tests cannot move"),
        };
        store.insert(key.to_owned(), value.into());
    }
    toml::to_string(&config).expect("the runtime config serializes")
}

/// `url`'s database (its path) on the server of `server`.
fn same_database_on(url: &str, server: &str) -> String {
    let database = Url::parse(url).expect("a store's Redis URL");
    let mut moved = Url::parse(server).expect("the Redis server's URL");
    moved.set_path(database.path());
    moved.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn puts_sqlite_files_into_the_directory() {
        let text = "[key_value_store.auth]\ntype = \"spin\"\npath = \".spin/auth.db\"\n\
                    [key_value_store.analytics]\ntype = \"spin\"\npath = \".spin/analytics.db\"\n\
                    [key_value_store.notification]\ntype = \"spin\"\npath = \".spin/notification.db\"\n";
        let out = rewrite_runtime_config(text, Path::new("/tmp/x"), None);
        assert!(out.contains("path = \"/tmp/x/auth.db\""), "{out}");
        assert!(out.contains("path = \"/tmp/x/notification.db\""), "{out}");
        assert!(!out.contains(".spin/"), "{out}");
    }

    #[test]
    fn keeps_each_redis_database_on_the_new_server() {
        let text = "[key_value_store.auth]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:6379/0\"\n\
                    [key_value_store.analytics]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:6379/1\"\n\
                    [key_value_store.notification]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:6379/2\"\n";
        let out =
            rewrite_runtime_config(text, Path::new("/tmp/x"), Some("redis://127.0.0.1:7000/5"));
        let config: toml::Table = toml::from_str(&out).unwrap();
        let url = |label: &str| {
            config["key_value_store"][label]["url"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(url("auth"), "redis://127.0.0.1:7000/0");
        assert_eq!(url("analytics"), "redis://127.0.0.1:7000/1");
        assert_eq!(url("notification"), "redis://127.0.0.1:7000/2");
        assert_eq!(
            location_in(&out, "analytics"),
            StoreLocation::RedisDatabase(1)
        );
    }

    #[test]
    fn finds_a_store_file_and_a_redis_database_without_a_number() {
        let text = "[key_value_store.auth]\ntype = \"spin\"\npath = \"/tmp/x/auth.db\"\n\
                    [key_value_store.analytics]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:6379\"\n";
        assert_eq!(
            location_in(text, "auth"),
            StoreLocation::File(PathBuf::from("/tmp/x/auth.db"))
        );
        assert_eq!(
            location_in(text, "analytics"),
            StoreLocation::RedisDatabase(0)
        );
    }
}
