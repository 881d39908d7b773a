#!/bin/sh
# The LV2 plugin's speed next to the library call it wraps (bench_lv2, hosted through lilv), and
# lilv's own lv2bench for a second opinion. Uses the build-tree bundle.
#   sh lv2/bench/run.sh [BUILD_DIR] [bench_lv2 options, e.g. --seconds 5 --block 64]
set -eu
B=${1:-build}
[ $# -gt 0 ] && shift
LV2_PATH=$(cd "$B/lv2" && pwd)
export LV2_PATH
"$B/lv2/gainstage.lv2/bench_lv2" "$@"
echo "lv2bench (lilv-utils), blocks of 256, 96000 frames:"
for u in http://gainstage.invalid/lv2/mono http://gainstage.invalid/lv2/stereo; do
    lv2bench -b 256 -n 96000 "$u" 2>/dev/null | tail -n 1
done
