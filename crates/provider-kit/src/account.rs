//! The three settings every default provider sends with: its API's URL, its
//! API key and the sender, as Spin variables named `<channel>_api_url`,
//! `<channel>_api_key` and `<channel>_from`.

use crate::settings::Settings;

/// What one attempt sends with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub url: String,
    pub key: String,
    pub from: String,
}

/// Whether the provider whose settings are `names` (URL, key, sender) can
/// send: `Err` names the settings that are unset. Settings that cannot be
/// read are not unconfigured, and the readiness answer cannot say so: the
/// panic traps the channels instance, and the notification service answers
/// `channel_unreachable`, storing nothing, so that a repeat may do.
pub fn readiness(names: &[&'static str; 3]) -> Result<(), String> {
    Settings::read(names)
        .unwrap_or_else(|cause| panic!("{cause}"))
        .require_all()
}

/// The account to send with, or why there is none (a reason for an
/// `unavailable` outcome: trying again later may help).
pub fn account(names: &[&'static str; 3], channel: &str) -> Result<Account, String> {
    let settings =
        Settings::read(names).map_err(|_| format!("the {channel} settings could not be read"))?;
    account_in(&settings, names, channel)
}

fn account_in(
    settings: &Settings,
    [url, key, from]: &[&'static str; 3],
    channel: &str,
) -> Result<Account, String> {
    match (settings.get(url), settings.get(key), settings.get(from)) {
        (Some(url), Some(key), Some(from)) => Ok(Account {
            url: url.to_owned(),
            key: key.to_owned(),
            from: from.to_owned(),
        }),
        _ => Err(format!("the {channel} channel is not configured")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 3] = ["x_api_url", "x_api_key", "x_from"];

    #[test]
    fn an_account_needs_all_three_settings() {
        let all = Settings::from_values([
            ("x_api_url", Some("https://api.example.com".to_owned())),
            ("x_api_key", Some("k".to_owned())),
            ("x_from", Some("me@example.com".to_owned())),
        ]);
        assert_eq!(
            account_in(&all, &NAMES, "x"),
            Ok(Account {
                url: "https://api.example.com".to_owned(),
                key: "k".to_owned(),
                from: "me@example.com".to_owned(),
            })
        );
        let blank_key = Settings::from_values([
            ("x_api_url", Some("https://api.example.com".to_owned())),
            ("x_api_key", Some(" ".to_owned())),
            ("x_from", Some("me@example.com".to_owned())),
        ]);
        assert_eq!(
            account_in(&blank_key, &NAMES, "x"),
            Err("the x channel is not configured".to_owned())
        );
    }
}
