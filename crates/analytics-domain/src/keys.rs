//! Every key analytics writes. Counters and plain values never share a key:
//! Spin's SQLite store panics when `increment` meets a value it did not write.

use crate::event::{Action, EventId};
use domain_core::UserId;

/// Counter: how many slots of the action index have been handed out.
pub(crate) const ACTION_SLOTS: &str = "actions:slots";

/// Counter: tickets drawn for bearer users' new action names, one before
/// each slot a user may take. A refused request raises this counter, not
/// the slot counter, so however many users race past the check of the
/// index size, the slots they are refused stay free for the internal key.
pub(crate) const USER_SLOTS: &str = "actions:user-slots";

/// Plain value (decimal): the index size when users' tickets were first
/// drawn. Everything indexed before then counts as users' (an earlier
/// version let users take those slots without a ticket).
pub(crate) const USER_SLOTS_START: &str = "actions:user-slots:start";

/// Counter: requests that found `action` missing from the index. The one
/// that raises it to 1 adds the name; the others wait a little for it
/// instead of taking slots of their own.
pub(crate) fn action_name_claim(action: &Action) -> String {
    format!("actions:name:{action}")
}

/// Plain value: the action name held by index slot `slot` (1-based).
pub(crate) fn action_slot(slot: u64) -> String {
    format!("actions:slot:{slot}")
}

/// Plain value: the system action `action`'s own place in the index, used
/// only once every slot is taken, so that a full index never refuses the
/// auth service's events.
pub(crate) fn reserved_action_slot(action: &Action) -> String {
    format!("actions:reserved:{action}")
}

/// Counter: the dedupe claim of an event; whoever raises it to 1 counts it.
/// Scoped to the event's user, as idempotency keys are to their client: one
/// user's id can never turn another user's event into a duplicate.
pub(crate) fn event_claim(user: &UserId, id: &EventId) -> String {
    format!("event:{}/{id}", user.key_digest())
}

/// Counter: events of all actions and users. Kept only where writes are as
/// cheap as reads (see `domain_core::kv::Backend`); elsewhere the total is
/// summed on read.
pub(crate) const TOTAL_COUNT: &str = "count:total";

/// Counter: index slots taken on behalf of `user` (a bearer user's quota of
/// new action names).
pub(crate) fn user_new_actions(user: &UserId) -> String {
    format!("quota:new-actions:{}", user.key_digest())
}

/// Counter: events of `action`, all users.
pub(crate) fn action_count(action: &Action) -> String {
    format!("count:action:{action}")
}

/// Counter: events of `action` for `user`. The action comes first and cannot
/// contain `/`; the user is a fixed-length digest: no two pairs share a key.
pub(crate) fn user_action_count(user: &UserId, action: &Action) -> String {
    user_action_counts(user)(action)
}

/// [`user_action_count`] for many actions of one user: the digest, a hash,
/// is made once instead of once per action.
pub(crate) fn user_action_counts(user: &UserId) -> impl Fn(&Action) -> String {
    let digest = user.key_digest();
    move |action| format!("count:user:{action}/{digest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fit_spins_256_byte_limit_at_the_longest() {
        let action = Action::parse(format!("a{}", ":".repeat(63))).unwrap();
        let user = UserId::parse("\u{10FFFF}".repeat(128)).unwrap();
        assert!(user_action_count(&user, &action).len() <= 256);
        assert!(action_count(&action).len() <= 256);
        assert!(action_slot(u64::MAX).len() <= 256);
        assert!(event_claim(&user, &EventId::generate()).len() <= 256);
        assert!(user_new_actions(&user).len() <= 256);
    }

    #[test]
    fn users_and_actions_that_look_alike_get_distinct_keys() {
        let pair = |user: &str, action: &str| {
            user_action_count(
                &UserId::parse(user).unwrap(),
                &Action::parse(action.into()).unwrap(),
            )
        };
        assert_ne!(pair("a:b", "c"), pair("a", "b:c"));
        assert_ne!(pair("u", "a"), pair("u", "b"));
        assert_ne!(pair("u", "a"), pair("v", "a"));
    }

    #[test]
    fn one_event_id_claims_a_key_per_user() {
        let id = EventId::generate();
        let claim = |user: &str| event_claim(&UserId::parse(user).unwrap(), &id);
        assert_ne!(claim("alice"), claim("bob"));
        assert_eq!(claim("alice"), claim("alice"));
    }
}
