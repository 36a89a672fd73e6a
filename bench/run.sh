#!/usr/bin/env bash
# Load test of every endpoint in API.md against a running instance of the app.
#
#   bench/run.sh BASE_URL INTERNAL_KEY
#
# Measures throughput and p50/p99 latency per endpoint with oha, after a
# setup that creates a user, a token and a notification to read. Also, when
# SCALE is not empty, the latency of the global metrics endpoint after
# 1k, 10k and 100k recorded events (seeded with the internal key, in
# parallel), and, when HELLO_URL is set, a hello-world component on the
# same host as the floor. Writes the raw JSON of every run and a markdown
# report (results.md) to OUT. A benchmark, not a test: nothing here passes
# or fails on timing.
#
# Environment (all optional):
#   DURATION          per-endpoint run time (oha -z), default 10s
#   CONCURRENCY       connections for most endpoints, default 32
#   HASH_CONCURRENCY  connections for register and login (one argon2id hash
#                     each, CPU-bound), default 8
#   LOGOUTS           tokens made (by logging in) for the logout run, default 400
#   SCALE             event totals for the metrics run, default "1000 10000 100000";
#                     "" skips it
#   SEED_CONCURRENCY  connections per seeding process (4 processes), default 16
#   HELLO_URL         URL of the hello-world floor (bench/hello), unset skips it
#   OUT               results directory, default bench/results/<UTC date-time>
#   OHA               oha binary, default oha
#
# Only BASE_URL and HELLO_URL are contacted; point them at a local host.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    sed -n '2,30p' "$0" >&2
    exit 2
fi
base=${1%/}
key=$2
here=$(cd "$(dirname "$0")" && pwd)
lib="python3 $here/benchlib.py"

duration=${DURATION:-10s}
conc=${CONCURRENCY:-32}
hash_conc=${HASH_CONCURRENCY:-8}
logouts=${LOGOUTS:-400}
scale=${SCALE-1000 10000 100000}
seed_conc=${SEED_CONCURRENCY:-16}
oha=${OHA:-oha}
out=${OUT:-$here/results/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
: > "$out/index.tsv"

command -v "$oha" > /dev/null || { echo "oha not found: cargo install --locked oha" >&2; exit 1; }
command -v python3 > /dev/null || { echo "python3 not found" >&2; exit 1; }

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# oha with the common flags; JSON result to $out/$file, indexed for the report.
#   measure SECTION NAME CONCURRENCY FILE NOTE -- OHA-ARGS... URL
measure() {
    local section=$1 name=$2 c=$3 file=$4 note=$5
    shift 6
    log "$name (c=$c, $duration)"
    "$oha" --no-tui --output-format json -z "$duration" -w -c "$c" -t 30s "$@" > "$out/$file"
    printf '%s\t%s\t%s\t%s\t%s\n' "$section" "$name" "$c" "$file" "$note" >> "$out/index.tsv"
}

json=(-m POST -T application/json)
internal=(-H "X-Internal-Key: $key")

# ---------------------------------------------------------------- setup
log "checking $base"
for service in auth analytics notification; do
    $lib call GET "$base/$service/health" > /dev/null
done

run_id=$(python3 -c 'import secrets; print(secrets.token_hex(4))')
user="bench-$run_id"
password="Bench-$run_id-staple-horse-battery"
log "setup: user $user, a token, a notification, an event"
user_id=$($lib call POST "$base/auth/register" --json "{\"username\":\"$user\",\"password\":\"$password\"}" | field user_id)
token=$($lib call POST "$base/auth/login" --json "{\"username\":\"$user\",\"password\":\"$password\"}" | field token)
notification_id=$($lib call POST "$base/notification/notify" --header "X-Internal-Key: $key" \
    --json "{\"user_id\":\"$user_id\",\"subject\":\"bench\",\"message\":\"benchmark setup\"}" | field notification_id)
$lib call POST "$base/analytics/events" --header "X-Internal-Key: $key" \
    --json "{\"user_id\":\"$user_id\",\"action\":\"bench.setup\"}" > /dev/null
# Unique usernames for the register run: oha picks a random line per request.
$lib usernames "bench-$run_id-r" 200000 "$password" "$out/register-bodies.raw"
# One token per logout request (oha cannot vary a header per request).
$lib tokens "$base" "$user" "$password" "$logouts" "$hash_conc" "$out/logout-tokens.raw"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- global metrics vs. events
events_total() { $lib call GET "$base/analytics/metrics/actions" | field total; }
for target in $scale; do
    have=$(events_total)
    need=$(( target - have ))
    if (( need > 0 )); then
        log "seeding $need events (total $have -> $target)"
        per=$(( (need + 3) / 4 ))
        pids=()
        for action in seed.view seed.click seed.share seed.buy; do
            "$oha" --no-tui --output-format quiet -n "$per" -c "$seed_conc" -t 30s "${json[@]}" "${internal[@]}" \
                -d "{\"user_id\":\"seed-$action\",\"action\":\"$action\"}" "$base/analytics/events" &
            pids+=("$!")
        done
        for pid in "${pids[@]}"; do wait "$pid"; done
    fi
    total=$(events_total)
    measure scale "$total" "$conc" "metrics-global-$target.json" "" -- "$base/analytics/metrics/actions"
done

# ---------------------------------------------------------------- every endpoint
if [[ -n ${HELLO_URL:-} ]]; then
    measure endpoints "hello world (floor, bench/hello)" "$conc" hello.json "" -- "$HELLO_URL"
fi
measure endpoints "GET /auth/health" "$conc" auth-health.json "" -- "$base/auth/health"
measure endpoints "GET /analytics/health" "$conc" analytics-health.json "" -- "$base/analytics/health"
measure endpoints "GET /notification/health" "$conc" notification-health.json "" -- "$base/notification/health"
measure endpoints "POST /auth/register" "$hash_conc" register.json "unique usernames" -- \
    "${json[@]}" -Z "$out/register-bodies.raw" "$base/auth/register"
measure endpoints "POST /auth/login" "$hash_conc" login.json "" -- \
    "${json[@]}" -d "{\"username\":\"$user\",\"password\":\"$password\"}" "$base/auth/login"
measure endpoints "GET /auth/me" "$conc" me.json "" -- \
    -H "Authorization: Bearer $token" "$base/auth/me"

log "POST /auth/logout (c=$conc, $logouts distinct tokens)"
$lib logout "$base" "$out/logout-tokens.raw" "$conc" "$out/logout.json"
printf 'endpoints\tPOST /auth/logout\t%s\tlogout.json\t%s tokens, Python client\n' "$conc" "$logouts" >> "$out/index.tsv"

measure endpoints "POST /analytics/events" "$conc" events.json "internal key" -- \
    "${json[@]}" "${internal[@]}" -d "{\"user_id\":\"$user_id\",\"action\":\"bench.event\"}" "$base/analytics/events"
measure endpoints "GET /analytics/metrics/actions" "$conc" metrics-global.json "" -- \
    "$base/analytics/metrics/actions"
measure endpoints "GET /analytics/metrics/user/{id}/actions" "$conc" metrics-user.json "internal key" -- \
    "${internal[@]}" "$base/analytics/metrics/user/$user_id/actions"
measure endpoints "POST /notification/notify" "$conc" notify.json "log channel" -- \
    "${json[@]}" "${internal[@]}" -d "{\"user_id\":\"$user_id\",\"message\":\"benchmark\"}" "$base/notification/notify"
measure endpoints "GET /notification/notifications/{id}" "$conc" notification-get.json "internal key" -- \
    "${internal[@]}" "$base/notification/notifications/$notification_id"
measure endpoints "GET /notification/users/{id}/notifications" "$conc" notification-list.json "limit=20" -- \
    "${internal[@]}" "$base/notification/users/$user_id/notifications?limit=20"

load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
{
    echo "# Benchmark run $(basename "$out")"
    echo
    echo "- target: \`$base\`, $duration per endpoint, oha $("$oha" --version | awk '{print $2}')"
    echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/^Mem:/{print $2}') GiB RAM"
    echo "- load average (1/5/15 min) before: $load_before; after: $load_after"
    echo
    echo "## Every endpoint"
    echo
    $lib table "$out" endpoints
    if [[ -n $scale ]]; then
        echo
        echo "## GET /analytics/metrics/actions after N recorded events"
        echo
        $lib table "$out" scale
    fi
} > "$out/results.md"
cat "$out/results.md"
log "results in $out"
