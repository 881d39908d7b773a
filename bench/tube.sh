#!/bin/sh
# The tube models next to the tube peers, in one run on the same 60 s input (issue 3's speed
# table): x real time per channel (median of 5 runs) and aliasing of 5 kHz and 9 kHz tones, for
# every built-in preset and model at its defaults (standard quality), the tube models at the high
# and low-alias qualities, and the peers hosted through lilv exactly like our LV2 plugin. The
# peers are Debian packages (zam-plugins guitarix-lv2 swh-lv2 calf-plugins), installed here when
# missing (as root; otherwise the apt-get line is printed and the peers that are missing are
# listed as such). Before the speed table: the start-up CPU per instance (bench_startup).
#   sh bench/tube.sh [BUILD] [bench_peers options...], e.g. --seconds 10 --runs 3
set -eu
B=${1:-build}
shift || true
sh "$(dirname "$0")/../tools/install-deps.sh" zam-plugins guitarix-lv2 swh-lv2 calf-plugins ||
    echo "tube.sh: continuing without the missing peers" >&2
# Start-up first (issue 15: <= 5 ms of CPU per instance): a first tube instance in a fresh
# process, per quality and rate; 50 kHz has no table of its own and takes the 48 kHz one (same
# normalised band edges).
"$B/bench/bench_startup" --runs 3 --rate 44100 --rate 48000 --rate 50000 --rate 96000 --rate 192000
echo
# bench/peers.sh names the peers (and hosts our LV2 plugin); the tube rows join its run.
exec sh "$(dirname "$0")/peers.sh" "$B" \
    --model tube-stage \
    --model tube-stage:quality=fast \
    --model tube-stage:quality=high \
    --model tube-stage:quality=low-alias \
    --model tube-preamp:quality=low-alias \
    "$@"
