//! What a user (a bearer token, as opposed to the internal key) may record:
//! never the system's own actions, only the operator's client actions when
//! there is such a list, and only a few new action names of its own, so
//! that no user can forge account events or fill the action index that
//! every user shares.

use crate::error::{RecordError, Unexpected};
use crate::event::Action;
use crate::index::MAX_ACTIONS;
use crate::keys;
use domain_core::system_actions::is_system_action;
use domain_core::{DomainError, Failure, KeyValueStore, UserId};
use std::collections::BTreeSet;

/// How many index slots one user may ever take for new action names. An
/// action already in the index costs nothing, whoever introduced it.
pub const USER_NEW_ACTIONS: u64 = 10;

/// Users take index slots only up to here; the rest stay for the internal
/// key, so that the services' own new actions are accepted even after many
/// users (or one person with many accounts) have spent their quotas.
pub const USER_ACTION_SLOTS: u64 = MAX_ACTIONS - 100;

/// The operator's list of actions users may record (the `client_actions`
/// variable), or any action when there is no list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ClientActions {
    /// No list: users may record any action that is not reserved, and
    /// introduce new names within their quota.
    #[default]
    Any,
    /// Users may record these actions and no others.
    Only(BTreeSet<Action>),
}

/// Why the operator's list of client actions cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientActionsError {
    #[error("client_actions: {0:?} is not an action name")]
    NotAnAction(String),
    #[error("client_actions: {0:?} is a system action, which users may never record")]
    Reserved(String),
}

/// The operator's mistake: a 500 for every bearer request, the cause in the log.
impl DomainError for ClientActionsError {
    fn failure(&self) -> Failure {
        Failure::Unexpected
    }
}

impl ClientActions {
    /// A list of action names separated by commas or whitespace; an empty
    /// list means no list.
    pub fn parse(list: &str) -> Result<Self, ClientActionsError> {
        let mut actions = BTreeSet::new();
        let separator = |c: char| c == ',' || c.is_whitespace();
        for name in list.split(separator).filter(|n| !n.is_empty()) {
            if is_system_action(name) {
                return Err(ClientActionsError::Reserved(name.to_owned()));
            }
            let action = Action::parse(name.to_owned())
                .map_err(|_| ClientActionsError::NotAnAction(name.to_owned()))?;
            actions.insert(action);
        }
        Ok(if actions.is_empty() {
            Self::Any
        } else {
            Self::Only(actions)
        })
    }

    /// The checks that need no store: reserved, then listed.
    pub(crate) fn check(&self, action: &Action) -> Result<(), RecordError> {
        if is_system_action(action.as_str()) {
            return Err(RecordError::ReservedAction);
        }
        match self {
            Self::Only(listed) if !listed.contains(action) => Err(RecordError::ActionNotAllowed),
            _ => Ok(()),
        }
    }
}

/// The refusals of a user's new name that need no write: the index already
/// holds the users' part (as seen in `slots_seen`), or the user's quota is
/// spent. They come before anything is written for the name, so that a user
/// past either costs reads only.
pub(crate) fn refuse_at_once(
    store: &impl KeyValueStore,
    user: &UserId,
    slots_seen: u64,
) -> Result<(), RecordError> {
    // Once the index is this large, stops users without a write; the tickets
    // of `admit_new_name` bound those that race past it.
    if slots_seen >= USER_ACTION_SLOTS {
        return Err(RecordError::TooManyActions {
            limit: USER_ACTION_SLOTS,
        });
    }
    let quota = keys::user_new_actions(user);
    if u64::try_from(store.counter(&quota)?).unwrap_or(0) >= USER_NEW_ACTIONS {
        return Err(RecordError::ActionQuotaExceeded {
            limit: USER_NEW_ACTIONS,
        });
    }
    Ok(())
}

/// Lets `user` take one index slot for a new name, or refuses: the user's
/// quota is spent (by racing requests of its own since [`refuse_at_once`]
/// read it), or users already hold their part.
///
/// Every racing request may have seen room in the index, and a slot once
/// taken is never given back, so the users' part is not checked against the
/// slot a request takes: each request first draws a ticket from a counter of
/// users' slots, and only a ticket within the users' part may take a slot.
/// However many accounts race, users hold at most `USER_ACTION_SLOTS` slots,
/// and the internal key's share stays free.
pub(crate) fn admit_new_name(
    store: &impl KeyValueStore,
    user: &UserId,
    slots_seen: u64,
) -> Result<(), RecordError> {
    let full = || RecordError::TooManyActions {
        limit: USER_ACTION_SLOTS,
    };
    let quota = keys::user_new_actions(user);
    let spent = || RecordError::ActionQuotaExceeded {
        limit: USER_NEW_ACTIONS,
    };
    let before_tickets = slots_before_tickets(store, slots_seen)?;
    // The quota before the ticket, so that a burst of one user's requests
    // draws no more tickets than the quota allows.
    if u64::try_from(store.increment(&quota, 1)?).unwrap_or(u64::MAX) > USER_NEW_ACTIONS {
        return Err(spent());
    }
    // Not given back when refused: no ticket ever is (one whose request
    // fails later stays spent too), so the users' part, once drawn, stays
    // drawn, and a give-back would admit nobody. A failure from here on
    // costs users a slot of their part, never the internal key one of its own.
    let ticket = u64::try_from(store.increment(keys::USER_SLOTS, 1)?).unwrap_or(u64::MAX);
    if before_tickets.saturating_add(ticket) > USER_ACTION_SLOTS {
        return Err(full());
    }
    Ok(())
}

/// The slots that count as users' besides their tickets: the index size
/// when the first ticket was about to be drawn. A store indexed by an
/// earlier version holds slots users took without a ticket, and nothing
/// says which, so all of them count as users'; on a new store these are the
/// few names the services introduced first.
///
/// Written by whoever finds it missing, before drawing a ticket. Such a
/// request read the index size before any ticketed slot was taken (a user
/// takes one only after finding this written), so whichever racer's size
/// stays, none counts a ticketed slot twice, and each covers every slot
/// users took without a ticket.
fn slots_before_tickets(store: &impl KeyValueStore, slots_seen: u64) -> Result<u64, RecordError> {
    if let Some(bytes) = store.get(keys::USER_SLOTS_START)? {
        return std::str::from_utf8(&bytes)
            .ok()
            .and_then(|text| text.parse().ok())
            .ok_or(RecordError::Unexpected(Unexpected::CorruptUserSlotsStart));
    }
    store.set(keys::USER_SLOTS_START, slots_seen.to_string().as_bytes())?;
    Ok(slots_seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(name: &str) -> Action {
        Action::parse(name.to_owned()).unwrap()
    }

    #[test]
    fn a_start_of_tickets_that_is_not_a_number_is_corruption() {
        let store = domain_core::kv::InMemoryStore::default();
        store.set(keys::USER_SLOTS_START, b"many").unwrap();
        let user = UserId::parse("alice").unwrap();
        assert_eq!(
            refuse_at_once(&store, &user, 1).and_then(|()| admit_new_name(&store, &user, 1)),
            Err(RecordError::Unexpected(Unexpected::CorruptUserSlotsStart))
        );
    }

    #[test]
    fn a_list_is_names_separated_by_commas_or_spaces() {
        assert_eq!(ClientActions::parse(""), Ok(ClientActions::Any));
        assert_eq!(ClientActions::parse(" , "), Ok(ClientActions::Any));
        // A list written on Windows ends its lines with CR LF.
        let listed = ClientActions::parse("page.view,\r\nclick\tsearch\r\n").unwrap();
        assert_eq!(
            listed,
            ClientActions::Only(
                ["page.view", "click", "search"]
                    .into_iter()
                    .map(action)
                    .collect()
            )
        );
    }

    #[test]
    fn a_list_with_a_bad_or_reserved_name_is_refused() {
        assert_eq!(
            ClientActions::parse("page.view,Bad"),
            Err(ClientActionsError::NotAnAction("Bad".into()))
        );
        assert_eq!(
            ClientActions::parse("page.view login"),
            Err(ClientActionsError::Reserved("login".into()))
        );
    }

    #[test]
    fn reserved_actions_are_refused_even_without_a_list() {
        for name in domain_core::system_actions::ALL {
            assert_eq!(
                ClientActions::Any.check(&action(name)),
                Err(RecordError::ReservedAction)
            );
        }
        assert_eq!(ClientActions::Any.check(&action("page.view")), Ok(()));
    }

    #[test]
    fn with_a_list_only_listed_actions_pass() {
        let listed = ClientActions::parse("page.view").unwrap();
        assert_eq!(listed.check(&action("page.view")), Ok(()));
        assert_eq!(
            listed.check(&action("click")),
            Err(RecordError::ActionNotAllowed)
        );
    }
}
