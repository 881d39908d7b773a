#!/bin/sh
# peers-tube.sh: the tube models' speed next to the tube peers', on the same 60 s input.
#
#   bench/peers-tube.sh [BUILD_DIR]        (default: build)
#
# gainstage: bench_channel (x real time per channel, median of 5 runs, 48 kHz, 256-sample blocks,
# thread CPU time). Peers: Debian's lv2apply (lilv-utils) on a 60 s plucked-string file at 48 kHz,
# x real time = 60 s / user CPU seconds of the whole lv2apply run. lv2apply runs the plugin one
# frame per call and includes WAV reading/writing and plugin loading, so its figure is only a
# LOWER BOUND of a peer's speed (the issue quotes gx_amp/gx_studiopre at 54-120x in a real host). Plugins lv2apply cannot host (it offers
# no options or worker feature: ZamTube crashes, gx_amp refuses) are listed as such: their speed
# needs a fuller host (the project's general peer benchmark).
# Packages: lilv-utils zam-plugins guitarix-lv2 (apt-get install -y ...).
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf '%-36s %12s\n' "what" "x real time"
"$root/$build/bench/bench_channel" --seconds 10 --runs 5 |
    awk '/^(model|preset) (tube|clean)/ { printf "%-36s %12.1f\n", "gainstage " $1 " " $2, $3 }'

"$root/$build/tools/gs-mksig" --seconds 60 --rate 48000 --peak -12 pluck "$tmp/in.wav"
for uri in urn:zamaudio:ZamTube \
    'http://guitarix.sourceforge.net/plugins/gx_amp#GUITARIX' \
    'http://guitarix.sourceforge.net/plugins/gx_studiopre#studiopre'; do
    name=$(printf '%s' "$uri" | sed 's/.*[:#/]//')
    if ! command -v lv2apply > /dev/null; then
        printf '%-36s %12s\n' "$name" "no lv2apply"
        continue
    fi
    if /usr/bin/time -f '%U' -o "$tmp/t" lv2apply -i "$tmp/in.wav" -o "$tmp/out.wav" "$uri" \
        > /dev/null 2>&1; then
        awk -v n="$name" '{ printf "%-36s %12.1f\n", "peer " n " (lv2apply)", 60 / ($1 > 0 ? $1 : 0.01) }' "$tmp/t"
    else
        printf '%-36s %12s\n' "peer $name (lv2apply)" "not hostable"
    fi
done
