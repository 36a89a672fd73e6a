//! A provider's settings: Spin variables of the component it is linked into
//! (with `dependencies_inherit_configuration`, the channels component's).

use spin_sdk::variables::Error;

/// Reads the named variables; empty values count as unset.
pub struct Settings {
    values: Vec<(&'static str, Option<String>)>,
}

impl Settings {
    /// The named variables. Only an undefined variable is unset: one that
    /// Spin could not read (its provider failed, or the component may not
    /// read it) is an error that names it, as an unset setting would make
    /// the channel look unconfigured while it is not.
    pub fn read(names: &[&'static str]) -> Result<Self, String> {
        Self::looked_up(names, spin_sdk::variables::get)
    }

    fn looked_up(
        names: &[&'static str],
        lookup: impl Fn(&str) -> Result<String, Error>,
    ) -> Result<Self, String> {
        let mut values = Vec::with_capacity(names.len());
        for name in names {
            let value = match lookup(name) {
                Ok(value) => Some(value),
                Err(Error::Undefined(_)) => None,
                Err(_) => return Err(format!("{name} could not be read")),
            };
            values.push((*name, value));
        }
        Ok(Self::from_values(values))
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
    fn only_an_undefined_variable_is_unset() {
        let settings = Settings::looked_up(&["url", "from"], |name| match name {
            "url" => Ok("https://api.example.com".to_owned()),
            _ => Err(Error::Undefined(name.to_owned())),
        })
        .expect("readable");
        assert_eq!(settings.require_all(), Err("from is not set".to_owned()));

        for error in [
            Error::Provider("vault unreachable: https://vault.internal".to_owned()),
            Error::Other("not allowed".to_owned()),
            Error::InvalidName("key".to_owned()),
        ] {
            let failing = Settings::looked_up(&["url", "key"], |name| match name {
                "url" => Ok("https://api.example.com".to_owned()),
                _ => Err(error.clone()),
            });
            assert_eq!(failing.err(), Some("key could not be read".to_owned()));
        }
    }

    #[test]
    fn complete_settings_are_ready() {
        let settings = Settings::from_values([("a", Some("1".to_owned()))]);
        assert_eq!(settings.require_all(), Ok(()));
    }
}
