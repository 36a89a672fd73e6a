#!/usr/bin/env bash
# Runs the benchmarks on this machine: builds the app, the hello-world floor
# and the project's test host (release), starts both apps on loopback with
# fresh stores, runs bench/run.sh against them, and stops them.
#
#   bench/local.sh            # SQLite stores (runtime-config.toml's backend)
#   STORE=redis bench/local.sh  # a private redis-server on a spare port
#
# Environment: everything bench/run.sh reads, plus
#   STORE        sqlite (default) or redis
#   SPIN_HOST    host binary taking `up --from ...` (default: the project's
#                test host, target/release/spin-test-host; `spin` works too)
#   SKIP_BUILD   set to 1 to use what is already built
#   PORT, HELLO_PORT, REDIS_PORT   default 3700, 3701, 6390
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
store=${STORE:-sqlite}
port=${PORT:-3700}
hello_port=${HELLO_PORT:-3701}
redis_port=${REDIS_PORT:-6390}
read -r -a host <<< "${SPIN_HOST:-$root/target/release/spin-test-host}"

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    cargo build --release -p spin-test-host
    cargo build --release --target wasm32-wasip2 -p auth -p analytics -p notification -p docs
    cargo build --manifest-path bench/hello/Cargo.toml --target wasm32-wasip2 --release
fi

state=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$state"
}
trap cleanup EXIT INT TERM

case $store in
sqlite)
    # Relative paths resolve against this file's directory: fresh files.
    cat > "$state/runtime-config.toml" <<EOF
[key_value_store.auth]
type = "spin"
path = "auth.db"

[key_value_store.analytics]
type = "spin"
path = "analytics.db"

[key_value_store.notification]
type = "spin"
path = "notification.db"
EOF
    ;;
redis)
    command -v redis-server > /dev/null || { echo "redis-server not found" >&2; exit 1; }
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$state" > "$state/redis.log" 2>&1 &
    pids+=("$!")
    for _ in $(seq 50); do redis-cli -p "$redis_port" ping > /dev/null 2>&1 && break; sleep 0.1; done
    sed "s#redis://127.0.0.1:6379#redis://127.0.0.1:$redis_port#" runtime-config.redis.toml \
        > "$state/runtime-config.toml"
    ;;
*)
    echo "STORE must be sqlite or redis" >&2
    exit 2
    ;;
esac

key=$(python3 -c 'import secrets; print(secrets.token_hex(24))')

wait_for() { # URL PID LOG
    for _ in $(seq 600); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || { cat "$3" >&2; return 1; }
        sleep 0.1
    done
    echo "timed out waiting for $1" >&2
    return 1
}

"${host[@]}" up --from spin.toml --listen "127.0.0.1:$port" \
    --runtime-config-file "$state/runtime-config.toml" \
    --variable "internal_api_key=$key" > "$state/app.log" 2>&1 &
pids+=("$!")
wait_for "http://127.0.0.1:$port/auth/health" "${pids[-1]}" "$state/app.log"

"${host[@]}" up --from bench/hello/spin.toml --listen "127.0.0.1:$hello_port" \
    > "$state/hello.log" 2>&1 &
pids+=("$!")
wait_for "http://127.0.0.1:$hello_port/" "${pids[-1]}" "$state/hello.log"

HELLO_URL="http://127.0.0.1:$hello_port/" \
    OUT="${OUT:-$root/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-$store}" \
    "$root/bench/run.sh" "http://127.0.0.1:$port" "$key"
