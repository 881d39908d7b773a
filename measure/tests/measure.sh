#!/bin/sh
# 'gainstage measure' end to end: our clean preset, --lv2 on the in-tree bundle (against the same
# model measured directly) and on one third-party plugin (swh valve), the report's files and
# numbers, --compare, and the one-line errors.
# usage: measure.sh GAINSTAGE LV2DIR   (LV2DIR: the build's lv2 folder, holding gainstage.lv2)
# Installs nothing: a missing package fails the test, naming the package.
set -u
GS=$1
LV2DIR=$(cd "$2" && pwd) # lilv needs an absolute LV2_PATH
. "$(dirname "$0")/../../tests/lib.sh"
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
# the page is read by a person (measure/tests/report_browser.sh checks it in a browser)
grep -q '<h2 id="thd_vs_level">THD and THD+N against level, 1 kHz' "$T/clean/index.html" && ok || bad "index.html: headings not in words"
grep -q '<td class="note">noise model off</td>' "$T/clean/index.html" && ok || bad "clean (noise off): its EIN shown as measured"
# ... and the terminal summary says the same, not "EIN -254.4 dBu"
grep -qE '^  EIN, 20 Hz-20 kHz +noise model off$' "$T/log" && ok || bad "clean (noise off): summary $(grep EIN "$T/log" | head -1)"

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

# --compare of one device at two settings: its curves are told apart by the reports' folders
if "$GS" measure --preset clean --set gain=40dB --quick --out "$T/clean40" >"$T/log" 2>&1 &&
    "$GS" measure --compare "$T/clean" "$T/clean40" --out "$T/cmp2" >"$T/log" 2>&1; then ok; else bad "compare clean twice: $(cat "$T/log")"; fi
[ "$(cat "$T/log")" = "report: $T/cmp2/index.html" ] && ok || bad "--compare printed '$(cat "$T/log")', want where it wrote"
grep -q "clean (clean40)" "$T/cmp2/index.html" && grep -q "clean (clean)" "$T/cmp2/index.html" && ok ||
    bad "compare labels: $(grep -o 'clean[^<]*' "$T/cmp2/index.html" | sort -u | tr '\n' ' ')"

# --- --lv2 on the in-tree bundle ---------------------------------------------------------------
# Our own plugin runs the library's channel, so hosted by --lv2 it must measure as the model
# does: any difference is the host's (ports, block lengths, the latency port read after the
# first run). Its tube model is used: it distorts, aliases and has a latency, and the plugin
# reports a larger one (the longest of its models'), so the reported latency is not a default.
PLUG=http://gainstage.invalid/lv2/mono
inlv2() { LV2_PATH=$LV2DIR "$@"; }
if "$GS" measure --model tube-preamp --quick --out "$T/tube" >"$T/log" 2>&1; then ok; else bad "measure tube-preamp: $(cat "$T/log")"; fi
if inlv2 "$GS" measure --lv2 "$PLUG" --lv2-set model=3 --in-dbu -20 --quick --out "$T/plug" >"$T/log" 2>&1; then ok; else bad "measure --lv2 $PLUG: $(cat "$T/log")"; fi
# (alias5k to 0.05 dB: at -107 dB, with the hum subtracted, what is left are the ripple's
# sidebands on the tone, which move with the hum's phase at the tone's start: the plugin's larger
# latency lengthens every run before it; measured 0.013 dB apart, -140 dB re the tone)
for k in gain_1k:0.001 thd_nom24:0.001 alias5k:0.05 hum_dbfs:0.01; do
    tol=${k#*:} k=${k%:*}
    m=$(json "$T/tube/report.json" $k)
    p=$(json "$T/plug/report.json" $k)
    if awk -v a="$m" -v b="$p" -v t="$tol" 'BEGIN { d = a - b; exit !(a != "" && b != "" && d < t && d > -t) }'; then ok; else bad "$k: model $m dB, plugin $p dB"; fi
done
# the report's numbers are JSON reals ("9.0"): differences by awk
lat() { awk -v i="$(json "$1" lat_imp)" -v r="$(json "$1" lat_rep)" 'BEGIN { print i - r, r + 0 }'; }
set -- $(lat "$T/tube/report.json") $(lat "$T/plug/report.json")
echo "in-tree plugin (tube): latency reported $4, impulse - reported: plugin $3, model $1"
[ "$3" = "$1" ] && lt 0 "$4" && ok || bad "plugin latency: reported $4, impulse - reported $3, model $1"
thd=$(json "$T/plug/report.json" thd_nom24)
if lt -100 "$thd" && lt "$thd" 0; then ok; else bad "plugin THD $thd"; fi
# The CPU figure is measured and reported (a positive number); how fast it is belongs to bench/,
# not to a test: under ASan on a loaded CI machine the strip's 16x tube ran below real time.
c=$(json "$T/plug/report.json" cpu)
if lt 0 "$c" && lt "$c" 1e9; then ok; else bad "plugin cpu: '$c'"; fi
grep -q '"model=3, ' "$T/plug/report.json" && ok || bad "plugin settings not in the report"
expect 1 "no control input 'nope'" inlv2 "$GS" measure --lv2 "$PLUG" --lv2-set nope=1 --out "$T/x"
expect 1 "outside the port's range" inlv2 "$GS" measure --lv2 "$PLUG" --lv2-set gain=100 --out "$T/x"
if "$GS" measure --compare "$T/clean" "$T/plug" --out "$T/cmp" >"$T/log" 2>&1; then ok; else bad "compare: $(cat "$T/log")"; fi
[ -s "$T/cmp/thd_vs_level.svg" ] && ok || bad "compare plots"
n=$(grep -o '<th>' "$T/cmp/index.html" | wc -l)
[ "$n" -eq 4 ] && ok || bad "compare table has $n columns, want 4"

# Hum (issue 15): the tube preamp at its defaults hums 80 dB below the nominal -18 dBFS, on
# 50 Hz mains; with 2 % of ripple (-60 dBFS of hum, 18 dB above the 100 Hz sweep's lowest tone,
# on its bins) its 100 Hz sweep still reads no compression at the low levels (it read +1 dB at
# 0.05 % before the hum was measured apart and subtracted).
h=$(json "$T/tube/report.json" hum_dbfs)
hz=$(json "$T/tube/report.json" hum_hz)
echo "tube-preamp: hum ${h} dBFS on ${hz} Hz mains"
lt "$h" -98 && [ "${hz%.*}" = 50 ] && ok || bad "tube-preamp hum $h dBFS at $hz Hz"
if "$GS" measure --model tube-preamp --set ripple=2 --quick --out "$T/hum" >"$T/log" 2>&1; then ok; else bad "measure ripple=2: $(cat "$T/log")"; fi
h=$(json "$T/hum/report.json" hum_dbfs)
c=$(jq '[.thd_vs_level[1].compression_db[0:3][] | fabs] | max' "$T/hum/report.json")
echo "tube-preamp ripple 2 %: hum ${h} dBFS; 100 Hz sweep, lowest three levels: compression within ${c} dB"
lt "$h" -50 && lt -70 "$h" && ok || bad "ripple 2 %: hum $h dBFS"
lt "$c" 0.05 && ok || bad "ripple 2 %: the 100 Hz sweep reads $c dB of compression at its lowest levels"

# --- --lv2 on a third-party plugin -----------------------------------------------------------
# swh valve is built without our conventions: control ports before the audio ones, no latency
# port (the host must report 0, and the impulse must agree). Its package is in the Makefile's DEPS.
SWH=http://plugin.org.uk/swh-plugins/valve
# third-party plugin code is not ours to leak-check under ASan
if ASAN_OPTIONS=detect_leaks=0 "$GS" measure --lv2 "$SWH" --quick --out "$T/peer" >"$T/log" 2>&1; then
    ok
    thd=$(json "$T/peer/report.json" thd_nom24)
    echo "swh valve: THD at nominal+24 ${thd} dB, latency reported/impulse $(json "$T/peer/report.json" lat_rep)/$(json "$T/peer/report.json" lat_imp)"
    # a valve model distorts measurably when driven
    if lt -100 "$thd" && lt "$thd" 0; then ok; else bad "swh valve THD $thd"; fi
    set -- $(lat "$T/peer/report.json")
    [ "$1" = 0 ] && [ "$2" = 0 ] && ok || bad "swh valve latency: reported $2, impulse - reported $1, want 0 and 0"
elif grep -q "no installed LV2 plugin" "$T/log"; then
    bad "$SWH is not installed: Debian package swh-lv2 (make deps installs it)"
else
    bad "measure $SWH: $(cat "$T/log")"
fi
finish
