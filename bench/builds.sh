#!/bin/sh
# Two builds side by side (a refactoring must not cost speed): `gainstage process` of the same
# 60 s mono 48 kHz input through each built-in preset, CPU seconds (user + system) of the whole
# process, runs of the two builds interleaved so that a busy machine slows both alike; median of
# RUNS (default 5), and the new build's time as a ratio of the old one's.
#   sh bench/builds.sh OLD_BUILD NEW_BUILD [RUNS] [PRESET...]
set -eu
OLD=$(cd "$1" && pwd)
NEW=$(cd "$2" && pwd)
runs=${3:-5}
shift 2
[ $# -gt 0 ] && shift
presets=${*:-$("$OLD/gainstage" presets | awk '{ print $1 }')} # both builds have them
T=$(mktemp -d "${TMPDIR:-/tmp}/gs-builds.XXXXXX")
trap 'rm -rf "$T"' EXIT
"$NEW/tools/gs-mksig" --rate 48000 --seconds 60 --peak -6 voice "$T/in.wav" >/dev/null
cpu() { # cpu BUILD PRESET: CPU seconds of one run
    rm -f "$T/out.wav" # (an older build may not know --force)
    /usr/bin/time -f '%U %S' -o "$T/t" "$1/gainstage" process -q --preset "$2" "$T/in.wav" \
        "$T/out.wav" && awk '{ print $1 + $2 }' "$T/t"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf '%-12s %10s %10s %7s\n' preset "old CPU s" "new CPU s" new/old
for p in $presets; do
    : >"$T/o"
    : >"$T/n"
    i=0
    while [ $i -lt "$runs" ]; do
        cpu "$OLD" "$p" >>"$T/o"
        cpu "$NEW" "$p" >>"$T/n"
        i=$((i + 1))
    done
    o=$(median <"$T/o")
    n=$(median <"$T/n")
    printf '%-12s %10.3f %10.3f %7.3f\n' "$p" "$o" "$n" "$(awk -v a="$n" -v b="$o" 'BEGIN { print a / b }')"
done
