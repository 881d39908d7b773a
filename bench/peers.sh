#!/bin/sh
# Our presets and models against open-source peers, in one run on the same 60 s input: x real time
# per channel (median of 5 runs) and aliasing at 5 kHz and 9 kHz. Every built-in preset joins the
# table automatically, and so does our LV2 plugin (its default model, ss-preamp at 30 dB); peers
# are the LV2 plugins below (Debian packages zam-plugins, guitarix-lv2, swh-lv2, calf-plugins). TAP TubeWarmth is LADSPA-only in Debian 12 (tap-plugins), so it is not in
# the table. Usage: bench/peers.sh [BUILD] [bench_peers options...], e.g. --seconds 10 --runs 3
set -eu
B=${1:-build}
shift || true
# Our own plugin (build tree) is hosted exactly like the peers, next to the library calls.
LV2_PATH="$(cd "$B/lv2" && pwd):${LV2_PATH:-$HOME/.lv2:/usr/local/lib/lv2:/usr/lib/lv2}"
export LV2_PATH
exec "$B/bench/bench_peers" \
    --lv2 http://gainstage.invalid/lv2/mono \
    --lv2 urn:zamaudio:ZamTube \
    --lv2 'http://guitarix.sourceforge.net/plugins/gx_amp#GUITARIX' \
    --lv2 'http://guitarix.sourceforge.net/plugins/gx_studiopre#studiopre' \
    --lv2 http://plugin.org.uk/swh-plugins/valve \
    --lv2 http://calf.sourceforge.net/plugins/Saturator \
    "$@"
