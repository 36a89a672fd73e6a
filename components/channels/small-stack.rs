//! The build script of both channel providers (`build` in their
//! Cargo.toml): a 16 KiB stack instead of the workspace's 128 KiB
//! (`.cargo/config.toml`; the later link argument wins). The channels
//! component instantiates both providers for every email or SMS call, and
//! Spin clears each instance's linear memory afterwards (about 10 µs a
//! 64 KiB page, measured in bench/): stack and data in one page instead of
//! three. The sends of the end-to-end suite pass with a 1 KiB stack; the
//! deepest work, reading the API's answer, recurses on nothing
//! (`provider_kit::Members`), and the suite sends one nested as deep as
//! serde_json reads.
fn main() {
    // Only the component: native test builds link with the system's linker.
    if std::env::var("CARGO_CFG_TARGET_FAMILY").as_deref() == Ok("wasm") {
        println!("cargo:rustc-link-arg=-zstack-size=16384");
    }
}
