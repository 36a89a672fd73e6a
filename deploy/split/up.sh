#!/usr/bin/env bash
# Runs auth, analytics and notification as three separate Spin apps, each
# on its own port, with the *_url variables pointing at each other.
#
#   INTERNAL_API_KEY=... deploy/split/up.sh
#
# Environment (all optional except INTERNAL_API_KEY):
#   SPIN_HOST          the spin command (default: spin)
#   BIND               address to listen on (default 127.0.0.1)
#   AUTH_PORT, ANALYTICS_PORT, NOTIFICATION_PORT (default 3001, 3002, 3003)
#   RUNTIME_CONFIG     runtime config file (default runtime-config.toml;
#                      runtime-config.redis.toml works too)
#   OTEL_EXPORTER_OTLP_ENDPOINT  export traces and logs there; each process
#                      names itself seed-<service> (OTEL_SERVICE_NAME)
# Stops all three when any of them exits or on Ctrl-C.
set -euo pipefail

cd "$(dirname "$0")/../.."

: "${INTERNAL_API_KEY:?set INTERNAL_API_KEY (e.g. export INTERNAL_API_KEY=\$(openssl rand -hex 32))}"
# From the environment, not --variable: a command line is there for `ps`
# to show as long as the three run.
export SPIN_VARIABLE_INTERNAL_API_KEY=$INTERNAL_API_KEY
read -r -a host <<< "${SPIN_HOST:-spin}"
bind=${BIND:-127.0.0.1}
auth_port=${AUTH_PORT:-3001}
analytics_port=${ANALYTICS_PORT:-3002}
notification_port=${NOTIFICATION_PORT:-3003}
runtime_config=${RUNTIME_CONFIG:-runtime-config.toml}

# What spin.toml runs, all written by `spin build`: the components and the
# common-password table the auth component mounts.
for built in auth.wasm analytics.wasm notification.wasm channels.wasm common-passwords.bin; do
    [[ -f target/wasm32-wasip2/release/$built ]] || {
        echo "target/wasm32-wasip2/release/$built is missing: run spin build first" >&2
        exit 1
    }
done

auth_url="http://$bind:$auth_port"
analytics_url="http://$bind:$analytics_port"
notification_url="http://$bind:$notification_port"

pids=()
stop() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap stop EXIT INT TERM

start() { # SERVICE PORT [COMPONENT...] -- [spin up options]
    local component=$1 port=$2 ids=(--component-id "$1")
    shift 2
    while (($#)) && [[ $1 != -- ]]; do
        ids+=(--component-id "$1")
        shift
    done
    shift
    OTEL_SERVICE_NAME="seed-$component" "${host[@]}" up --from spin.toml "${ids[@]}" \
        --listen "$bind:$port" \
        --runtime-config-file "$runtime_config" \
        "$@" &
    pids+=("$!")
}

start auth "$auth_port" -- \
    --variable "analytics_url=$analytics_url" \
    --variable "notification_url=$notification_url"
start analytics "$analytics_port" -- --variable "auth_url=$auth_url"
# With the component of the email and sms providers, which it chains to.
start notification "$notification_port" channels -- --variable "auth_url=$auth_url"

echo "auth:         $auth_url/auth/health"
echo "analytics:    $analytics_url/analytics/health"
echo "notification: $notification_url/notification/health"

# Exit (and stop the others) as soon as one of them stops.
wait -n
