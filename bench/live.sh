#!/bin/sh
# DSP load of 'gainstage live': the engine alone (bench_live) and a real run against a private
# 'jackd -d dummy' server at 48 kHz with 64-frame periods, fed by a looping test client; the live
# client reports its xruns and its measured DSP load (process time / period) when it stops.
#   sh bench/live.sh [BUILD] [PRESET] [SECONDS] [CHANNELS]   (defaults: build clean 60 16)
set -eu
B=${1:-build}
P=${2:-clean}
S=${3:-60}
N=${4:-16}
"$B/bench/bench_live" --preset "$P" --seconds 3 1 8 16 32
SRV=gsbench-$$
T=$(mktemp -d)
export JACK_NO_START_SERVER=1 JACK_NO_AUDIO_RESERVATION=1
# Stale registrations of killed servers would stop jackd from starting.
sh "$(dirname "$0")/../tools/jack-clean-stale.sh"
jackd -n "$SRV" -d dummy -r 48000 -p 64 >"$T/jackd.log" 2>&1 &
J=$!
trap 'kill "$J" 2>/dev/null; rm -rf "$T"' EXIT
"$B/tests/live_helper" wait-server "$SRV" 30
"$B/tools/gs-mksig" --rate 48000 --seconds 2 --peak -12 pluck "$T/sig.wav"
"$B/gainstage" live --server "$SRV" --inputs "$N" --preset "$P" --osc-port off \
    --duration "$S" --status-interval 10 >"$T/live.out" 2>&1 &
G=$!
i=0
while ! grep -q "^live: client" "$T/live.out" && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
set --
k=1
while [ $k -le "$N" ]; do set -- "$@" "$T/sig.wav"; k=$((k + 1)); done
"$B/tests/live_helper" play "$SRV" gainstage:in_ --loop --timeout $((S + 60)) "$@" >/dev/null &
wait "$G" || true
echo "jackd -d dummy -r 48000 -p 64, $N channels of $P for $S s:"
grep -E "^live: (client|stopped)" "$T/live.out"
