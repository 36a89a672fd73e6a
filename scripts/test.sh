#!/usr/bin/env bash
# Every check and every test, from a fresh machine with rustup and Spin:
# formatting, lints (the benchmark floors' too), the components built by
# `spin build`, native unit tests (the benchmark's arithmetic too), the
# end-to-end suite on real `spin up` (Spin 4.x, then the Spin 3.6 line that
# SpinKube's v0.24 shim embeds, each on SQLite and on Redis), the OCI round trip,
# the SpinKube manifests and the docs page in a browser.
#
# Spin binaries: `SPIN` (else `spin` on PATH) must be Spin 4.x; `SPIN_3_6`
# (else `spin-3.6.3` on PATH) the 3.6 line. Missing, the script stops with
# the command that installs them.
set -euo pipefail
cd "$(dirname "$0")/.."
# The end-to-end runs below choose their Spin, store and push binary
# themselves, on apps they start; a deployment or store named in the
# caller's environment would turn them into something else.
unset E2E_BASE_URL E2E_INTERNAL_KEY E2E_STORE SPIN_PUSH

rustup target add wasm32-wasip2
rustup component add rustfmt clippy

# What the tests drive besides our own code: Redis for the shared-state
# scenarios, an OCI registry for the SpinKube path, Chromium for /docs;
# Python for the benchmark's own tests.
missing=()
command -v python3 >/dev/null || missing+=(python3)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v docker-registry >/dev/null || missing+=(docker-registry)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

install_hint() {
  echo "Install it the official way, e.g.:" >&2
  echo "  mkdir -p ~/.local/bin && cd ~/.local/bin && curl -fsSL https://spinframework.dev/downloads/install.sh | bash -s -- $1 && $2" >&2
  exit 1
}
spin4=${SPIN:-$(command -v spin || true)}
if [ -z "$spin4" ] || ! "$spin4" --version | grep -q '^spin 4\.'; then
  echo "The tests need Spin 4.x as \`spin\` on PATH (or SPIN=/path/to/spin)." >&2
  install_hint "" "true"
fi
spin36=${SPIN_3_6:-$(command -v spin-3.6.3 || true)}
if [ -z "$spin36" ] || ! "$spin36" --version | grep -q '^spin 3\.6\.'; then
  echo "The tests also run on Spin 3.6 (SpinKube's v0.24 shim): put it on PATH as spin-3.6.3 (or SPIN_3_6=/path)." >&2
  install_hint "-v v3.6.3" "mv spin spin-3.6.3"
fi
echo "Spin: $("$spin4" --version) and $("$spin36" --version)"

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The benchmark floors, a workspace of their own that builds on crates/:
# kept compiling and lint-clean with the code they measure.
cargo fmt --manifest-path bench/floors/Cargo.toml --all --check
cargo clippy --manifest-path bench/floors/Cargo.toml --target wasm32-wasip2 --locked \
  --all-targets -- -D warnings
# Each component's build command from spin.toml, then the provider the
# tests swap in for the default email provider.
"$spin4" build
cargo build --locked --release --target wasm32-wasip2 -p test-channel-provider

export SPIN=$spin4
# A failing test is told by its message: a backtrace (mostly the async
# runtime's frames) would push the message out of the log's last lines.
export RUST_BACKTRACE=0
# Native tests (the imports check among them, on the components just
# built), then the end-to-end suite on Spin 4 with SQLite stores.
cargo test --workspace --locked --exclude deploy-manifests
# How bench/measure.py pools slices, pairs them and judges the goals and the counts.
python3 -m unittest discover -s bench
# Shown in full: the manifest checks say so when they could not fetch the CRD.
cargo test --locked -p deploy-manifests -- --show-output
echo "== end-to-end on $("$spin4" --version), Redis stores; the OCI scenario runs what Spin 3.6 pushed"
SPIN_PUSH=$spin36 E2E_STORE=redis cargo test --locked -p e2e --test api
echo "== end-to-end on $("$spin36" --version), SQLite stores; the OCI scenario runs what Spin 4 pushed"
SPIN=$spin36 SPIN_PUSH=$spin4 cargo test --locked -p e2e --test api
echo "== end-to-end on $("$spin36" --version), Redis stores"
SPIN=$spin36 E2E_STORE=redis cargo test --locked -p e2e --test api
