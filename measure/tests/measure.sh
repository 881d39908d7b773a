#!/bin/sh
# 'gainstage measure' end to end: our clean preset, an LV2 peer (swh valve, else ZamTube), the
# report's files and numbers, --compare, and the one-line errors.
# usage: measure.sh GAINSTAGE
# The LV2 peer is installed with apt-get when missing and we are root; the peer part is skipped
# with a printed reason ONLY if no peer package can be installed.
set -u
GS=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
# json FILE KEY: the value of the summary entry KEY
json() { tr -d ' \n' <"$1" | grep -o "\"key\":\"$2\"[^}]*" | sed -n 's/.*"value":\([^,}]*\).*/\1/p'; }
# cmp_lt A B: A < B (numbers; "null" is never less)
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "null" && a != "" && a + 0 < b + 0) }'; }

# --- our clean preset ------------------------------------------------------------------------
if "$GS" measure --preset clean --quick --out "$T/clean" >"$T/log" 2>&1; then ok; else bad "measure clean: $(cat "$T/log")"; fi
for f in report.json index.html thd_vs_level.png thd_vs_level.svg harmonics.png even_odd.svg \
         freq_response.png phase.png transfer.png compression.png alias_vs_freq.png \
         spectrum_5k.png spectrum_9k.svg; do
    if [ -s "$T/clean/$f" ]; then ok; else bad "clean: $f missing"; fi
done
g=$(json "$T/clean/report.json" gain_1k)
thd=$(json "$T/clean/report.json" thd_nom)
lat=$(json "$T/clean/report.json" lat_imp)
latr=$(json "$T/clean/report.json" lat_rep)
latx=$(json "$T/clean/report.json" lat_xc)
echo "clean: gain ${g} dB, THD at nominal ${thd} dB, latency reported/impulse/xcorr ${latr}/${lat}/${latx}"
# clean is 30 dB of voltage gain; calibrations -20 dBu in, +18 dBu out
if awk -v g="$g" 'BEGIN { exit !(g > 29.9 && g < 30.1) }'; then ok; else bad "clean gain $g"; fi
if lt "$thd" -100; then ok; else bad "clean THD $thd"; fi
if [ "$lat" = "$latr" ] && [ "$latx" = "$latr" ]; then ok; else bad "latency $latr/$lat/$latx"; fi
grep -q '"window_sidelobe_db"' "$T/clean/report.json" && ok || bad "window not stated"
grep -q '<img src="thd_vs_level.png"' "$T/clean/index.html" && ok || bad "index.html lacks plots"

# --- errors: one line, right status ------------------------------------------------------------
expect() {
    want=$1; pat=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"; got=$?
    if [ "$got" -ne "$want" ] || ! grep -qiE -- "$pat" "$T/err" || [ "$(wc -l <"$T/err")" -ne 1 ]; then
        bad "$* -> status $got (want $want): $(cat "$T/err")"; else ok; fi
}
expect 2 "missing --out" "$GS" measure --preset clean
expect 2 "only one of" "$GS" measure --preset clean --model ss-preamp --out "$T/x"
expect 2 "no parameter" "$GS" measure --preset clean --set nope=1 --out "$T/x"
expect 2 "power of two" "$GS" measure --fft 5000 --out "$T/x"
expect 1 "no installed LV2 plugin" "$GS" measure --lv2 urn:nope:nothing --out "$T/x"
expect 1 "cannot read" "$GS" measure --compare "$T/nothere" --out "$T/x"

# --- an LV2 peer -------------------------------------------------------------------------------
# --compare of one device at two settings: its curves are told apart by the reports' folders
if "$GS" measure --preset clean --set gain=40dB --quick --out "$T/clean40" >"$T/log" 2>&1 &&
    "$GS" measure --compare "$T/clean" "$T/clean40" --out "$T/cmp2" >"$T/log" 2>&1; then ok; else bad "compare clean twice: $(cat "$T/log")"; fi
grep -q "clean (clean40)" "$T/cmp2/index.html" && grep -q "clean (clean)" "$T/cmp2/index.html" && ok ||
    bad "compare labels: $(grep -o 'clean[^<]*' "$T/cmp2/index.html" | sort -u | tr '\n' ' ')"
have() { lv2ls 2>/dev/null | grep -qx "$1"; }
SWH=http://plugin.org.uk/swh-plugins/valve
ZAM=urn:zamaudio:ZamTube
if ! have "$SWH" && ! have "$ZAM" && [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends swh-lv2 \
        >"$T/apt" 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends zam-plugins >>"$T/apt" 2>&1
fi
URI=""
have "$SWH" && URI=$SWH
[ -z "$URI" ] && have "$ZAM" && URI=$ZAM
if [ -z "$URI" ]; then
    echo "SKIP LV2 peer: neither swh-lv2 nor zam-plugins could be installed: $(tail -1 "$T/apt" 2>/dev/null)"
else
    # third-party plugin code is not ours to leak-check under ASan
    if ASAN_OPTIONS=detect_leaks=0 "$GS" measure --lv2 "$URI" --quick --out "$T/peer" >"$T/log" 2>&1; then ok; else bad "measure $URI: $(cat "$T/log")"; fi
    thd=$(json "$T/peer/report.json" thd_nom24)
    a5=$(json "$T/peer/report.json" alias5k)
    cpu=$(json "$T/peer/report.json" cpu)
    echo "peer $URI: THD at nominal+24 ${thd} dB, alias 5 kHz ${a5} dB, ${cpu} x real time"
    # a valve model distorts measurably when driven, and it must run
    if lt -100 "$thd" && lt "$thd" 0; then ok; else bad "peer THD $thd"; fi
    if lt "$a5" 0; then ok; else bad "peer alias $a5"; fi
    if lt 1 "$cpu"; then ok; else bad "peer cpu $cpu"; fi
    expect 1 "no control input 'nope'" env ASAN_OPTIONS=detect_leaks=0 "$GS" measure --lv2 "$URI" --lv2-set nope=1 --out "$T/x"
    # --- compare ---------------------------------------------------------------------------
    if "$GS" measure --compare "$T/clean" "$T/peer" --out "$T/cmp" >"$T/log" 2>&1; then ok; else bad "compare: $(cat "$T/log")"; fi
    [ -s "$T/cmp/thd_vs_level.svg" ] && ok || bad "compare plots"
    n=$(grep -o '<th>' "$T/cmp/index.html" | wc -l)
    [ "$n" -eq 4 ] && ok || bad "compare table has $n columns, want 4"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
