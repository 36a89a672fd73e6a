#!/usr/bin/env bash
# Every endpoint against its floor, in one run, on real Spin:
#
#   bench/ratios.sh [sqlite|redis|both]      # default: both
#
# Installs what is missing (wrk, redis-server, python3, curl through apt; the
# wasm32-wasip2 target through rustup), builds the app and the floors
# (bench/floors), and for each store kind starts `spin up` twice on loopback
# ports of the kernel's choosing -- the app and the floors -- on fresh stores
# (new SQLite files, or a redis-server of its own on a free port, one
# database per store), then runs bench/measure.py against both and stops
# everything. Results:
# bench/results/<UTC time>-<store>/results.{md,json} (and raw/ wrk output).
#
# Environment (all optional):
#   SPIN        the spin binary (default: spin on PATH)
#   DURATION    seconds of load per side (endpoint, floor) of each of the 18
#               rows, in 3 alternating slices (default 9: ~6 minutes a store)
#   SLICES      alternating slices per side (default 3)
#   CONNECTIONS connections for throughput runs (default 32)
#   SKIP_BUILD  1: use what is already built
#   ROWS        only these rows, comma-separated keys (health, me, notification,
#               metrics, user-metrics, list, bearer, events, notify, login,
#               register; see bench/measure.py); default: all
#   APP_URL, APP_KEY  measure an app that is already running there (with that
#               internal key) instead of starting one; the floors still run
#               here, on the store kind named (bench/run.sh does this)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
stores=${1:-both}
case $stores in
sqlite | redis) ;;
both) stores="sqlite redis" ;;
*)
    sed -n '2,27p' "$0" >&2
    exit 2
    ;;
esac
spin=${SPIN:-spin}
duration=${DURATION:-9}
slices=${SLICES:-3}
connections=${CONNECTIONS:-32}

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------- tools
missing=()
for tool in wrk python3 curl; do command -v "$tool" > /dev/null || missing+=("$tool"); done
[[ $stores == *redis* ]] && ! command -v redis-server > /dev/null && missing+=(redis-server)
if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    sudo=$([[ $(id -u) == 0 ]] || echo sudo)
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${missing[@]}"
fi
command -v "$spin" > /dev/null || {
    echo "no spin binary: set SPIN or put spin on PATH (https://spinframework.dev/install)" >&2
    exit 1
}
spin_version=$("$spin" --version)

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
    log "building the app and the floors"
    # Every component by its own build command in spin.toml.
    [[ -n ${APP_URL:-} ]] || "$spin" build
    cargo build --manifest-path bench/floors/Cargo.toml --target wasm32-wasip2 --release
fi

# ---------------------------------------------------------------- processes
# Physical (symlinks resolved): redis_is_ours compares it with the directory
# Redis reports, which is.
state=$(cd "$(mktemp -d)" && pwd -P)
pids=()
stop_all() {
    for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2> /dev/null || true; done
    pids=()
}
trap 'stop_all; rm -rf "$state"' EXIT INT TERM

# Only redis-server needs a port chosen for it (its port 0 means no TCP at
# all), so the server on that port has to show it is the one just started:
# another process may have bound the port between choosing and starting.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
redis_is_ours() { # PORT DIR
    [[ $(redis-cli -p "$1" config get dir 2> /dev/null | tail -1) == "$2" ]]
}

# `spin up --listen 127.0.0.1:0` binds a port of the kernel's choosing and
# names it ("Serving http://127.0.0.1:PORT"), so no other process can take
# the port between choosing and binding it. Prints the base URL once the
# app answers PATH there. Up to 10 minutes: on a loaded machine Spin takes
# minutes to compile the app.
serving() { # LOG PID PATH
    local url=""
    for _ in $(seq 6000); do
        [[ -n $url ]] || url=$(sed -n 's#^Serving \(http://[^ ]*\).*#\1#p' "$1" | head -1)
        [[ -n $url ]] && curl -fsS -o /dev/null "$url$3" 2> /dev/null && {
            echo "$url"
            return 0
        }
        kill -0 "$2" 2> /dev/null || {
            cat "$1" >&2
            return 1
        }
        sleep 0.1
    done
    echo "timed out waiting for the app in $1 to answer $3" >&2
    return 1
}

run_store() {
    local store=$1 dir="$state/$store"
    mkdir -p "$dir"
    case $store in
    sqlite)
        # Relative paths resolve against the runtime config's directory.
        printf '[key_value_store.%s]\ntype = "spin"\npath = "%s.db"\n\n' \
            auth auth analytics analytics notification notification > "$dir/app.toml"
        printf '[key_value_store.floor]\ntype = "spin"\npath = "floor.db"\n' > "$dir/floors.toml"
        ;;
    redis)
        local redis_port
        redis_port=$(free_port)
        redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
            --dir "$dir" > "$dir/redis.log" 2>&1 &
        pids+=("$!")
        for _ in $(seq 50); do redis_is_ours "$redis_port" "$dir" && break; sleep 0.1; done
        redis_is_ours "$redis_port" "$dir" || {
            echo "the redis-server on port $redis_port is not the one started in $dir" >&2
            cat "$dir/redis.log" >&2
            return 1
        }
        sed "s#redis://127.0.0.1:6379#redis://127.0.0.1:$redis_port#" runtime-config.redis.toml > "$dir/app.toml"
        printf '[key_value_store.floor]\ntype = "redis"\nurl = "redis://127.0.0.1:%s/3"\n' \
            "$redis_port" > "$dir/floors.toml"
        ;;
    esac

    local key app_url floors_url
    if [[ -n ${APP_URL:-} ]]; then
        app_url=${APP_URL%/} key=${APP_KEY:?APP_KEY is the internal key of APP_URL}
    else
        key=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
        # Component output goes to files only (--quiet), as one copy, the way
        # a deployment collects it; the floors write none.
        "$spin" up --from spin.toml --listen 127.0.0.1:0 \
            --runtime-config-file "$dir/app.toml" --variable "internal_api_key=$key" \
            --quiet --log-dir "$dir/app-logs" > "$dir/app.log" 2>&1 &
        pids+=("$!")
        app_url=$(serving "$dir/app.log" "${pids[-1]}" /auth/health)
    fi
    "$spin" up --from bench/floors/spin.toml --listen 127.0.0.1:0 \
        --runtime-config-file "$dir/floors.toml" --quiet --log-dir "$dir/floors-logs" \
        > "$dir/floors.log" 2>&1 &
    pids+=("$!")
    floors_url=$(serving "$dir/floors.log" "${pids[-1]}" /floor/hello)

    local out meta
    out="$root/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-$store"
    meta=$(python3 -c 'import json,sys; print(json.dumps(dict(zip(sys.argv[1::2], sys.argv[2::2]))))' \
        spin "$spin_version" wrk "$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)" \
        commit "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- components crates spin.toml || echo +changes)" \
        uptime_before "$(uptime)")
    outs+=("$out")
    log "$store: app at $app_url, floors at $floors_url, results in $out"
    python3 bench/measure.py --app "$app_url" --key "$key" \
        --floors "$floors_url" --store "$store" --out "$out" \
        --duration "$duration" --slices "$slices" --connections "$connections" --meta "$meta"
    echo "uptime after: $(uptime)" | tee -a "$out/results.md"
    stop_all
    # Spin's output (the components' JSON log lines), kept beside the results
    # but not committed (bench/.gitignore): large, and only for digging.
    mkdir -p "$out/logs"
    cp -r "$dir"/*.log "$dir"/*-logs "$out/logs/" 2> /dev/null || true
}

outs=()
for store in $stores; do run_store "$store"; done
if ((${#outs[@]} > 1)); then
    echo
    python3 bench/measure.py combine "${outs[@]}"
fi
