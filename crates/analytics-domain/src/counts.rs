//! Counts per action, as the metrics endpoints report them.

use crate::event::Action;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionCounts {
    pub total: u64,
    /// Only actions with at least one event: an index name whose recording
    /// was refused or was a duplicate has no count to show.
    pub actions: BTreeMap<Action, u64>,
}

impl ActionCounts {
    pub(crate) fn from_counters(counters: impl IntoIterator<Item = (Action, i64)>) -> Self {
        let mut counts = Self::default();
        for (action, count) in counters {
            // Counters only ever grow from zero; a negative one is not ours to show.
            let count = u64::try_from(count).unwrap_or(0);
            if count > 0 {
                counts.total += count;
                counts.actions.insert(action, count);
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeros_are_left_out_and_the_total_is_the_sum() {
        let action = |name: &str| Action::parse(name.to_owned()).unwrap();
        let counts = ActionCounts::from_counters([
            (action("login"), 3),
            (action("logout"), 0),
            (action("register"), 2),
        ]);
        assert_eq!(counts.total, 5);
        assert_eq!(
            counts
                .actions
                .keys()
                .map(Action::as_str)
                .collect::<Vec<_>>(),
            ["login", "register"]
        );
    }
}
