#!/bin/sh
# make bench: the library's own speed and memory table. The peers: bench/peers.sh (every preset
# and model against the LV2 peers) and bench/tube.sh (the tube models' qualities against the tube
# peers); the live engine's load: bench/live.sh.
set -eu
B=${1:-build}
shift || true
"$B/bench/bench_channel" "$@"
"$B/bench/bench_live" --seconds 2
