#!/bin/sh
# Bit-identity of two builds (for a refactoring that must not change a sample): every built-in
# preset through `gainstage process` of both, float and dithered 24-bit output, stereo 48 kHz and
# mono 44.1 kHz, with and without latency compensation; and the LV2 plugin through lv2apply
# (mono and stereo, three presets' models). Compared with gs-wav diff (the audio; a float WAV's
# PEAK chunk holds a time stamp, so the bytes never match).
#   tools/bitident.sh OLD_BUILD NEW_BUILD      (e.g. a build of the commit before, and build/)
# Prints one line per case and "N passed, N failed".
set -u
OLD=$(cd "$1" && pwd)
NEW=$(cd "$2" && pwd)
WAV=$NEW/tools/gs-wav
T=$(mktemp -d "${TMPDIR:-/tmp}/gs-bitident.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
same() { # same DESCRIPTION A B
    if "$WAV" diff "$2" "$3" 2>&1 | grep -q "same_shape=1 maxdiff=0 "; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "DIFFERS: $1: $("$WAV" diff "$2" "$3" 2>&1 | head -1)"
    fi
}
"$NEW/tools/gs-mksig" --rate 48000 --seconds 2 --channels 2 --peak -6 voice "$T/st48.wav" >/dev/null
"$NEW/tools/gs-mksig" --rate 44100 --seconds 2 --peak 0 --format s24 sweep "$T/mo44.wav" >/dev/null
# The presets both builds have (a newer one may add some).
for p in $("$OLD/gainstage" presets | awk '{ print $1 }'); do
    for in in st48 mo44; do
        for opt in "--format f32" "--format s24" "--format f32 --no-compensate" \
            "--format s24 --seed 7 --in-dbu -10 --out-dbu 12"; do
            rm -f "$T/a.wav" "$T/b.wav"
            # shellcheck disable=SC2086
            if "$OLD/gainstage" process -q --preset "$p" $opt "$T/$in.wav" "$T/a.wav" &&
                "$NEW/gainstage" process -q --preset "$p" $opt "$T/$in.wav" "$T/b.wav"; then
                same "process $p $in $opt" "$T/a.wav" "$T/b.wav"
            else
                fail=$((fail + 1))
                echo "FAILED to run: process $p $in $opt"
            fi
        done
    done
done
n_process=$((pass + fail))
URI=http://gainstage.invalid/lv2
"$NEW/tools/gs-mksig" --rate 48000 --seconds 1 --peak -3 pluck "$T/mono.wav" >/dev/null
for c in "mono 0 -20" "mono 1 -10" "mono 3 -20" "stereo 3 -20" "stereo 2 0"; do
    set -- $c
    pl=$1 model=$2 indbu=$3
    in=$T/mono.wav
    [ "$pl" = stereo ] && in=$T/st48.wav
    for b in OLD NEW; do
        eval dir=\$$b
        LV2_PATH=$dir/lv2 lv2apply -i "$in" -o "$T/$b.wav" -c model "$model" -c in_dbu "$indbu" \
            "$URI/$pl" >/dev/null 2>&1 || echo "lv2apply failed: $b $c"
    done
    same "lv2 $c" "$T/OLD.wav" "$T/NEW.wav"
done
echo "bitident: $n_process process cases, $((pass + fail - n_process)) LV2 cases"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
