#!/bin/sh
# make demo: synthesise a guitar DI line and a voice-like mic signal (no recorded material),
# render them through every preset into OUT, and print per preset: output level, THD and the
# 2nd/3rd harmonic ratio of a 1 kHz sine at stated input levels.
set -eu
B=${1:-build}
OUT=${2:-demo-out}
GS="$B/gainstage"
MKSIG="$B/tools/gs-mksig"
WAV="$B/tools/gs-wav"
mkdir -p "$OUT"
"$MKSIG" --rate 48000 --seconds 10 --peak -1 --format s24 pluck "$OUT/input-guitar-di.wav"
"$MKSIG" --rate 48000 --seconds 10 --peak -1 --format s24 voice "$OUT/input-voice.wav"
"$MKSIG" --rate 48000 --seconds 1 --peak 0 --format f32 sine "$OUT/sine-1k.wav"
# Levels of the material: a single-coil guitar pickup peaks near -20 dBu (100 mV), a loud voice on a
# dynamic mic near -20 dBu too (full-scale calibration, dBu RMS of a 0 dBFS sine).
GUITAR_DBU=-20
VOICE_DBU=-20
echo "gainstage demo: material in $OUT (guitar DI at $GUITAR_DBU dBu, voice at $VOICE_DBU dBu full scale;"
echo "output calibration +18 dBu = 0 dBFS; THD of a 1 kHz sine at the stated input level)"
for preset in $("$GS" presets | awk '{print $1}'); do
    "$GS" process -q --force --preset "$preset" --in-dbu $GUITAR_DBU "$OUT/input-guitar-di.wav" "$OUT/$preset-guitar.wav"
    "$GS" process -q --force --preset "$preset" --in-dbu $VOICE_DBU "$OUT/input-voice.wav" "$OUT/$preset-voice.wav"
    lg=$("$WAV" level "$OUT/$preset-guitar.wav")
    lv=$("$WAV" level "$OUT/$preset-voice.wav")
    echo
    echo "preset $preset: $("$GS" presets | awk -v p="$preset" '$1 == p {sub(/^[^ ]+ +[^ ]+ +/, ""); print}')"
    printf '  %-28s %s\n' "guitar out:" "$(echo "$lg" | sed 's/rms_dbfs=/RMS /; s/ peak_dbfs=/ dBFS, peak /; s/$/ dBFS/')"
    printf '  %-28s %s\n' "voice out:" "$(echo "$lv" | sed 's/rms_dbfs=/RMS /; s/ peak_dbfs=/ dBFS, peak /; s/$/ dBFS/')"
    for lvl in -50 -30 -10 0; do
        "$GS" process -q --force --preset "$preset" --in-dbu $lvl --format f32 "$OUT/sine-1k.wav" "$OUT/.thd.wav"
        r=$("$WAV" thd --freq 1000 "$OUT/.thd.wav")
        thd=$(echo "$r" | sed 's/.*thd_pct=\([^ ]*\).*/\1/')
        h2=$(echo "$r" | sed 's/.*h2_db=\([^ ]*\).*/\1/')
        h3=$(echo "$r" | sed 's/.*h3_db=\([^ ]*\).*/\1/')
        printf '  1 kHz at %4s dBu in: THD %10s %%   H2 %7s dB  H3 %7s dB  H2/H3 %7s dB\n' \
            "$lvl" "$thd" "$h2" "$h3" "$(awk -v a="$h2" -v b="$h3" 'BEGIN{printf "%.1f", a - b}')"
    done
done
rm -f "$OUT/.thd.wav"
echo
echo "rendered files: $(ls "$OUT" | tr '\n' ' ')"
