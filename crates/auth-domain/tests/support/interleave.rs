//! Two instances' store calls in an order the test chooses: a store over
//! the shared one that runs another instance's work (a whole login, a
//! whole flush) right before or right after one of this instance's calls.

use std::sync::{Arc, Mutex};

use domain_core::kv::{InMemoryStore, Op};
use domain_core::{KeyValueStore, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    Before,
    After,
}

/// One of this instance's store calls, as a hook sees it: several keys
/// are joined with spaces.
pub struct Seen<'k> {
    pub op: Op,
    pub keys: &'k str,
    pub delta: i64,
}

type Picks<'a> = Box<dyn Fn(&Seen<'_>) -> bool + 'a>;

struct Hook<'a> {
    moment: Moment,
    picks: Picks<'a>,
    run: Box<dyn FnOnce() + 'a>,
}

pub struct Interleaved<'a> {
    shared: Arc<InMemoryStore>,
    hooks: Mutex<Vec<Hook<'a>>>,
}

impl<'a> Interleaved<'a> {
    pub fn over(shared: &Arc<InMemoryStore>) -> Self {
        Self {
            shared: Arc::clone(shared),
            hooks: Mutex::new(Vec::new()),
        }
    }

    /// Runs `run` once, at `moment` of the first call that `picks` picks.
    pub fn at(
        &self,
        moment: Moment,
        picks: impl Fn(&Seen<'_>) -> bool + 'a,
        run: impl FnOnce() + 'a,
    ) {
        self.hooks.lock().unwrap().push(Hook {
            moment,
            picks: Box::new(picks),
            run: Box::new(run),
        });
    }

    /// Whether every hook has run: a test whose interleaving never
    /// happened proves nothing.
    pub fn all_ran(&self) -> bool {
        self.hooks.lock().unwrap().is_empty()
    }

    fn fire(&self, moment: Moment, seen: &Seen<'_>) {
        let hook = {
            let mut hooks = self.hooks.lock().unwrap();
            let found = hooks
                .iter()
                .position(|hook| hook.moment == moment && (hook.picks)(seen));
            found.map(|index| hooks.remove(index))
        };
        if let Some(hook) = hook {
            (hook.run)();
        }
    }

    fn around<T>(&self, op: Op, keys: &str, delta: i64, call: impl FnOnce() -> T) -> T {
        let seen = Seen { op, keys, delta };
        self.fire(Moment::Before, &seen);
        let result = call();
        self.fire(Moment::After, &seen);
        result
    }
}

impl KeyValueStore for Interleaved<'_> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.around(Op::Get, key, 0, || self.shared.get(key))
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.around(Op::GetMany, &keys.join(" "), 0, || {
            self.shared.get_many(keys)
        })
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.around(Op::Set, key, 0, || self.shared.set(key, value))
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        let keys: Vec<&str> = entries.iter().map(|(key, _)| key.as_str()).collect();
        self.around(Op::SetMany, &keys.join(" "), 0, || {
            self.shared.set_many(entries)
        })
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.around(Op::Delete, key, 0, || self.shared.delete(key))
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        self.around(Op::DeleteMany, &keys.join(" "), 0, || {
            self.shared.delete_many(keys)
        })
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.around(Op::Increment, key, delta, || {
            self.shared.increment(key, delta)
        })
    }
}
