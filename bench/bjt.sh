#!/bin/sh
# The common-emitter NPN stage (issue 19) next to the tube peers (ZamTube, Guitarix, swh, Calf,
# hosted through lilv) in one run on the same input: x real time per channel (median of the
# runs) and aliasing of 5 kHz and 9 kHz tones, bjt-stage at each quality; then the solver's own
# aliasing at 16x, 32x and 64x without any filter (bench_bjt_alias: where target 2's figure
# comes from).
#   sh bench/bjt.sh [BUILD] [bench_peers options...], e.g. --seconds 10 --runs 3
set -eu
B=${1:-build}
shift || true
sh "$(dirname "$0")/../tools/install-deps.sh" zam-plugins guitarix-lv2 swh-lv2 calf-plugins ||
    echo "bjt.sh: continuing without the missing peers" >&2
sh "$(dirname "$0")/peers.sh" "$B" \
    --model bjt-stage:quality=fast \
    --model bjt-stage:quality=high \
    --model bjt-stage:quality=low-alias \
    "$@"
if [ -x "$B/bench/bench_bjt_alias" ]; then
    "$B/bench/bench_bjt_alias"
else
    echo "bjt.sh: $B/bench/bench_bjt_alias not built (no FFTW), solver aliasing not shown" >&2
fi
