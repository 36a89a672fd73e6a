//! Waiting, as a port: wasm components block on a WASI clock pollable
//! (`spin_edge::pause::MonotonicPause`), native tests sleep the thread or
//! only count the pauses.

use std::time::Duration;

pub trait Pause {
    /// Returns after about `duration`.
    fn pause(&self, duration: Duration);
}
