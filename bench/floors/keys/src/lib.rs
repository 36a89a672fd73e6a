//! The floors' store: its label and the keys `/floor/seed` writes, which
//! `/floor/read` and `/floor/pipeline` read.

/// The store label, declared in bench/floors/spin.toml.
pub const STORE: &str = "floor";

/// Reads per request are bounded so a typo cannot make a request unbounded.
pub const MAX_READS: usize = 64;

/// The `i`th key `/floor/seed` writes.
pub fn read_key(i: usize) -> String {
    format!("floor:value:{i}")
}
