//! Four 64 KiB pages of initial linear memory instead of the three the
//! linker picks: the 128 KiB stack and the data leave about 5 KiB of heap
//! in three, and a user's metrics for a UUID user id with three actions
//! already needed more, so the request grew the memory by a page and Spin
//! had to shrink it back before the next (two `mprotect`s and a TLB flush
//! on the other cores). Measured on that request: 543–559 µs of CPU with
//! three pages, 434–440 with four; a request that fits in three pays about
//! 10 µs for the fourth, which is cleared after each request either way.
fn main() {
    // Only the component: native test builds link with the system's linker.
    if std::env::var("CARGO_CFG_TARGET_FAMILY").as_deref() == Ok("wasm") {
        println!("cargo:rustc-link-arg=--initial-memory=262144");
    }
}
