#!/usr/bin/env bash
# Measures an app that is already running (any host, any store) against the
# floors started here on loopback:
#
#   bench/run.sh BASE_URL INTERNAL_KEY [sqlite|redis]
#
# The floors run on this machine's Spin and the store kind named (default
# sqlite), so the ratios also hold the network and host differences between
# here and BASE_URL: read them as such. It registers users, logs in and
# records events on BASE_URL. See bench/ratios.sh for the environment.
set -euo pipefail
if [[ $# -lt 2 ]]; then
    sed -n '2,11p' "$0" >&2
    exit 2
fi
APP_URL=$1 APP_KEY=$2 exec "$(dirname "$0")/ratios.sh" "${3:-sqlite}"
