#!/bin/sh
# make bench: the library's own speed and memory table. (Peer plugins join in with the tube and
# LV2 work: see bench/README.md.)
set -eu
B=${1:-build}
shift || true
"$B/bench/bench_channel" "$@"
"$B/bench/bench_live" --seconds 2
