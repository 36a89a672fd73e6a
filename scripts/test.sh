#!/usr/bin/env bash
# Every check and every test, from a fresh machine that has only rustup:
# formatting, lints, the components built for wasm, native unit tests, the
# end-to-end suite through the project's test host, and the docs page in a
# headless browser.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-wasip2
rustup component add rustfmt clippy

# What the tests drive besides our own code: a Redis server for the
# shared-state scenarios, Chromium and its driver for the docs page.
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The same build `spin build` runs (each component's build command).
cargo build --locked --release --target wasm32-wasip2 -p auth -p analytics -p notification -p docs
cargo test --workspace --locked
