//! A provider's settings: Spin variables of the component it is linked into
//! (with `dependencies_inherit_configuration`, the channels component's).

/// Reads the named variables; empty values count as unset.
pub struct Settings {
    values: Vec<(&'static str, Option<String>)>,
}

impl Settings {
    pub fn read(names: &[&'static str]) -> Self {
        Self::from_values(names.iter().map(|name| {
            let value = spin_sdk::variables::get(name).ok();
            (*name, value)
        }))
    }

    /// For tests and other sources.
    pub fn from_values(values: impl IntoIterator<Item = (&'static str, Option<String>)>) -> Self {
        let values = values
            .into_iter()
            .map(|(name, value)| {
                let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
                (name, value)
            })
            .collect();
        Self { values }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// `Err("email_api_url, email_api_key are not set")` when any is unset:
    /// names only, never values.
    pub fn require_all(&self) -> Result<(), String> {
        let missing: Vec<&str> = self
            .values
            .iter()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| *name)
            .collect();
        match missing.as_slice() {
            [] => Ok(()),
            [one] => Err(format!("{one} is not set")),
            many => Err(format!("{} are not set", many.join(", "))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_values_count_as_missing_and_only_names_are_reported() {
        let settings = Settings::from_values([
            ("api_url", Some("https://api.example.com".to_owned())),
            ("api_key", Some("  ".to_owned())),
            ("from", None),
        ]);
        assert_eq!(settings.get("api_url"), Some("https://api.example.com"));
        assert_eq!(settings.get("api_key"), None);
        assert_eq!(
            settings.require_all(),
            Err("api_key, from are not set".to_owned())
        );
    }

    #[test]
    fn complete_settings_are_ready() {
        let settings = Settings::from_values([("a", Some("1".to_owned()))]);
        assert_eq!(settings.require_all(), Ok(()));
    }
}
