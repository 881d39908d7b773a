#!/bin/sh
# Command-line tests of 'gainstage process --auto-gain' and of --seed for models with noise:
# the gain chosen is printed, the output reaches the target, a second pass finds nothing to do,
# bad targets are usage errors, and noise is reproducible per seed.
# usage: cli_autogain.sh GAINSTAGE   (env: MKSIG, WAVTOOL)
set -u
GS=$1
MKSIG=${MKSIG:?}
WAV=${WAVTOOL:?}
. "$(dirname "$0")/lib.sh"
# gain: the input gain printed by --auto-gain
gain() { sed -n 's/.*input gain \([-+][0-9.]*\) dB.*/\1/p' "$1"; }

"$MKSIG" --rate 48000 --seconds 3 --peak -20 --format f32 sine "$T/sine.wav"
"$MKSIG" --rate 48000 --seconds 3 --peak -30 --channels 2 --format f32 voice "$T/voice.wav"
WIRE="--model opamp-stage --set gain=0 --in-volts 1 --out-volts 1"

# Peak: a -20 dBFS sine to -6 dBFS is +14 dB, and the output peak is -6 dBFS.
$GS process $WIRE --auto-gain peak:-6dBFS "$T/sine.wav" "$T/p.wav" 2>"$T/err" || bad "auto-gain peak failed: $(cat "$T/err")"
g=$(gain "$T/err")
echo "auto-gain peak:-6dBFS on a -20 dBFS sine: chose $g dB; output peak $(field "$T/p.wav" peak)"
near "$g" 14.00 0.01 && ok || bad "peak gain $g, want +14.00"
pk=$(field "$T/p.wav" peak)
near "$(awk -v p="$pk" 'BEGIN { print 20 * log(p) / log(10) }')" -6 0.05 && ok || bad "output peak $pk is not -6 dBFS"

# Loudness: to -18 LUFS; a second auto-gain pass over the result must find (almost) nothing to do.
for m in lufs:-18 truepeak:-1dBTP rms:-12; do
    $GS process --force $WIRE --auto-gain $m "$T/voice.wav" "$T/l.wav" 2>"$T/err" || bad "auto-gain $m failed: $(cat "$T/err")"
    g1=$(gain "$T/err")
    $GS process --force $WIRE --auto-gain $m "$T/l.wav" "$T/l2.wav" 2>"$T/err2" || bad "second pass $m failed"
    g2=$(gain "$T/err2")
    echo "auto-gain $m on speech-like audio: chose $g1 dB; a second pass chooses $g2 dB"
    [ -n "$g1" ] && ok || bad "$m: no gain printed: $(cat "$T/err")"
    near "$g2" 0 0.12 && ok || bad "$m: second pass wants $g2 dB (target not reached)"
done

# The same run twice gives the same file (deterministic).
$GS process -q $WIRE --auto-gain lufs:-20 "$T/voice.wav" "$T/d1.wav" && $GS process -q $WIRE --auto-gain lufs:-20 "$T/voice.wav" "$T/d2.wav"
# (Compare samples, not bytes: a float WAV carries a PEAK chunk with a time stamp.)
samediff() { "$WAV" diff "$1" "$2" | grep -q "maxdiff=0 "; }
samediff "$T/d1.wav" "$T/d2.wav" && ok || bad "auto-gain runs differ"

# Bad targets are usage errors with one line naming the problem; nothing is written.
for t in foo peak lufs:abc peak:+3 loud:-18; do
    $GS process --auto-gain "$t" "$T/sine.wav" "$T/bad.wav" 2>"$T/err"
    s=$?
    [ "$s" -eq 2 ] && grep -q "auto-gain" "$T/err" && [ "$(wc -l <"$T/err")" -eq 1 ] && [ ! -e "$T/bad.wav" ] && ok || bad "--auto-gain $t: status $s: $(cat "$T/err")"
done
# Silence: nothing to measure, gain stays 0 dB and the run succeeds.
"$MKSIG" --rate 48000 --seconds 1 --format f32 silence "$T/sil.wav"
$GS process --auto-gain lufs:-18 "$T/sil.wav" "$T/silo.wav" 2>"$T/err" && grep -q "input gain +0.00 dB" "$T/err" && ok || bad "silence: $(cat "$T/err")"

# --seed seeds the noise: same seed, same file; other seed, other noise; the two channels of a
# stereo file get different noise.
NOISE="--model noise --set noise=1 --set ein=-100 --in-volts 1 --out-volts 1e-4 --format f32"
"$MKSIG" --rate 48000 --seconds 0.5 --channels 2 --format f32 silence "$T/sil2.wav"
$GS process -q $NOISE --seed 5 "$T/sil2.wav" "$T/n5a.wav"
$GS process -q $NOISE --seed 5 "$T/sil2.wav" "$T/n5b.wav"
$GS process -q $NOISE --seed 6 "$T/sil2.wav" "$T/n6.wav"
samediff "$T/n5a.wav" "$T/n5b.wav" && ok || bad "same --seed gave different noise"
samediff "$T/n5a.wav" "$T/n6.wav" && bad "another --seed gave the same noise" || ok
awk -v p="$(field "$T/n5a.wav" peak)" 'BEGIN { exit !(p > 1e-3) }' && ok || bad "noise model added no noise"
sox "$T/n5a.wav" -n remix 1,2v-1 stat 2>&1 | awk '/Maximum amplitude/ { exit !($3 > 1e-3) }' && ok || bad "both channels carry the same noise"

# --- issue 17, item 4: input and output targets by name, levels after the gain, a hint ------
dbfs() { awk -v p="$1" 'BEGIN { print 20 * log(p) / log(10) }'; }
# --auto-input is --auto-gain under its new name: the same gain and the same samples.
$GS process -q $WIRE --auto-gain peak:-12 "$T/sine.wav" "$T/ag.wav"
$GS process $WIRE --auto-input peak:-12 "$T/sine.wav" "$T/ai.wav" 2>"$T/err"
grep -q "^gainstage: auto-input: input sample peak -20.00 dBFS, target -12.00 dBFS: input gain +8.00 dB$" "$T/err" && ok || bad "auto-input message: $(cat "$T/err")"
samediff "$T/ag.wav" "$T/ai.wav" && ok || bad "--auto-input and --auto-gain differ"
# The summary shows the level at the preamp after that gain: -20 dBFS at -20 dBu, +8 dB: -32 dBu.
$GS process --model opamp-stage --set gain=0 --auto-input peak:-12 "$T/sine.wav" "$T/ai2.wav" 2>"$T/err"
grep -q "peak in -20.0 dBFS, +8.00 dB input gain (-32.0 dBu at the preamp)" "$T/err" && ok || bad "summary before the gain: $(cat "$T/err")"
# --auto-output lands the output there, through a non-linear preamp too.
for p in tube tube-hot guitar-hi-z; do
    $GS process --preset $p --auto-output peak:-1 "$T/voice.wav" "$T/ao_$p.wav" 2>"$T/err" || bad "auto-output $p: $(cat "$T/err")"
    grep -q "^gainstage: auto-output: output sample peak .* dBFS, target -1.00 dBFS: output gain [-+][0-9.]* dB (as --out-dbu [-0-9.]*)$" "$T/err" && ok || bad "auto-output message: $(cat "$T/err")"
    near "$(dbfs "$(field "$T/ao_$p.wav" peak)")" -1 0.01 && ok || bad "$p --auto-output peak:-1: output peak $(field "$T/ao_$p.wav" peak)"
done
# Both at once: the preamp sees -12 dBFS peaks, the file ends at -18 LUFS (a second pass agrees).
$GS process -q --preset tube --auto-input peak:-12 --auto-output lufs:-18 "$T/voice.wav" "$T/io.wav"
$GS process $WIRE --auto-input lufs:-18 "$T/io.wav" "$T/io2.wav" 2>"$T/err"
near "$(gain "$T/err")" 0 0.12 && ok || bad "--auto-output lufs:-18 missed: a second pass wants $(gain "$T/err") dB"
# The output gain printed is what --out-dbu would do by hand.
$GS process --preset tube --auto-output peak:-3 "$T/voice.wav" "$T/h1.wav" 2>"$T/err"
od=$(sed -n 's/.*(as --out-dbu \([-0-9.]*\)).*/\1/p' "$T/err")
$GS process -q --preset tube --out-dbu "$od" "$T/voice.wav" "$T/h2.wav"
"$WAV" diff "$T/h1.wav" "$T/h2.wav" | awk -F"esr=" "{ exit !(\$2 < 1e-6) }" && ok || bad "--auto-output is not --out-dbu $od"
for t in peak:+3 loud:-1 rms; do
    $GS process --auto-output "$t" "$T/sine.wav" "$T/bad.wav" 2>"$T/err"; s=$?
    [ "$s" -eq 2 ] && grep -q "^gainstage: --auto-output" "$T/err" && [ "$(wc -l <"$T/err")" -eq 1 ] && [ ! -e "$T/bad.wav" ] && ok || bad "--auto-output $t: status $s: $(cat "$T/err")"
done
# Clipping: the count, then how to avoid it, and the advice works.
"$MKSIG" --rate 48000 --seconds 1 --peak -6 --format s16 sine "$T/s16.wav"
$GS process --model opamp-stage --out-dbu -20 --format s16 "$T/s16.wav" "$T/hot.wav" 2>"$T/err"
grep -q "^gainstage: [1-9][0-9]* samples clipped: lower the output with --out-dbu -4 (or --auto-output peak:-1), or write --format f32$" "$T/err" && ok || bad "clip hint: $(cat "$T/err")"
$GS process --model opamp-stage --out-dbu -4 --format s16 "$T/s16.wav" "$T/cool.wav" 2>"$T/err"
grep -q "; 0 samples clipped;" "$T/err" && ! grep -q "lower the output" "$T/err" && ok || bad "the hint's --out-dbu still clips: $(cat "$T/err")"
$GS process --model opamp-stage --out-dbu -20 --format s24 "$T/s16.wav" "$T/hot.flac" 2>"$T/err"
grep -q "or write a .wav with --format f32$" "$T/err" && ok || bad "FLAC clip hint: $(cat "$T/err")"
$GS process --model opamp-stage --out-dbu -20 --format f32 "$T/s16.wav" "$T/hotf.wav" 2>"$T/err"
grep -q "lower the output" "$T/err" && bad "float output got a clip hint" || ok

finish
