//! Each recipient's hourly budget on the channels that reach a person
//! (`email`, `sms`). Addresses are not verified: anyone can register with
//! someone else's address and sign in as often as they like (the login
//! throttle limits only failures), and every sign-in sends that address a
//! `login_alert`. Without a bound per address the service would flood a
//! stranger's inbox, and pay its provider for each message. `log` and
//! `webhook` go to the operator, not to a person, and are not charged.

use crate::error::StorageError;
use crate::fields::{ChannelKind, Recipient};
use crate::keys;
use crate::notification::Notification;
use domain_core::KeyValueStore;

/// Notifications one address may be sent per channel and UTC hour. A
/// person gets one `welcome` and a `login_alert` per sign-in: ten an hour
/// leaves room for signing in on several devices, or again after a lost
/// session, while a flood is held to ten messages an hour (240 a day) per
/// address, whoever asks and however fast.
pub const RECIPIENT_HOURLY_BUDGET: i64 = 10;

/// The stored reason of a notification not sent for its recipient's
/// budget: a final outcome, so that a sender does not retry it into a later
/// hour.
pub const BUDGET_SPENT: &str = "the recipient's hourly budget is spent (10 notifications per address and channel per hour); not sent";

/// Whether notifications on `channel` are charged to their recipient.
fn charged(channel: ChannelKind) -> bool {
    matches!(channel, ChannelKind::Email | ChannelKind::Sms)
}

/// Whether `notification` may be delivered. On a charged channel it is
/// counted against its recipient in the UTC hour it was created (one
/// atomic increment); on the others nothing is asked of the store. Every
/// charge counts, those refused too: however many arrive at once, exactly
/// the budget's first are within it.
pub(crate) fn admit<S: KeyValueStore>(
    store: &S,
    notification: &Notification,
) -> Result<bool, StorageError> {
    let channel = notification.channel;
    let (Some(to), true) = (&notification.to, charged(channel)) else {
        return Ok(true);
    };
    let hour = notification.created_at.unix_seconds().div_euclid(3600);
    let key = keys::recipient_budget(channel, &normalized(channel, to), hour);
    Ok(store.increment(&key, 1)? <= RECIPIENT_HOURLY_BUDGET)
}

/// The address as the mailbox that receives it, so that spellings of one
/// inbox share its budget. An email address is lower-cased (domains are
/// case-insensitive, and mail services treat local parts so too) and loses
/// a `+tag` (RFC 5233 subaddress): otherwise `ada+1@`, `ada+2@`, … would
/// each get a budget of their own and all reach Ada. Where `+` or case is
/// significant, distinct mailboxes share a budget: stricter, never looser.
/// E.164 numbers are canonical already.
fn normalized(channel: ChannelKind, to: &Recipient) -> String {
    let address = to.as_str();
    if channel != ChannelKind::Email {
        return address.to_owned();
    }
    let address = address.to_lowercase();
    match address.split_once('@') {
        Some((local, domain)) => {
            let mailbox = match local.split_once('+') {
                Some((mailbox, _tag)) if !mailbox.is_empty() => mailbox,
                _ => local,
            };
            format!("{mailbox}@{domain}")
        }
        None => address,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(text: &str) -> String {
        normalized(
            ChannelKind::Email,
            &Recipient::email(text.to_owned()).unwrap(),
        )
    }

    #[test]
    fn spellings_of_one_inbox_are_one_address() {
        for spelling in [
            "ada@example.com",
            "Ada@Example.COM",
            "ada+alerts@example.com",
            "ADA+x+y@example.com",
        ] {
            assert_eq!(email(spelling), "ada@example.com", "{spelling}");
        }
        assert_eq!(email("+ada@example.com"), "+ada@example.com");
        assert_ne!(email("ada@example.com"), email("ada@example.org"));
        let phone = Recipient::phone("+15551234567".into()).unwrap();
        assert_eq!(normalized(ChannelKind::Sms, &phone), "+15551234567");
    }

    #[test]
    fn the_reason_names_the_budget() {
        assert!(BUDGET_SPENT.contains(&format!("({RECIPIENT_HOURLY_BUDGET} ")));
    }

    #[test]
    fn only_channels_that_reach_a_person_are_charged() {
        assert!(charged(ChannelKind::Email));
        assert!(charged(ChannelKind::Sms));
        assert!(!charged(ChannelKind::Log));
        assert!(!charged(ChannelKind::Webhook));
    }
}
