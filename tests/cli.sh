#!/bin/sh
# Command-line tests of 'gainstage': every promise of --help and every bad-input case: exit status,
# a one-line message naming the problem, and no output file left behind.
# usage: cli.sh GAINSTAGE SRCDIR   (env: MKSIG, WAVTOOL)
set -u
GS=$1
SRC=$2
MKSIG=${MKSIG:?}
WAV=${WAVTOOL:?}
. "$(dirname "$0")/lib.sh"

# expect STATUS PATTERN -- command...: run, check the exit status and that stderr matches.
expect() {
    want=$1; pat=$2; shift 3
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" -ne "$want" ]; then bad "$* -> status $got, want $want: $(cat "$T/err")"; return; fi
    if [ -n "$pat" ] && ! grep -qiE -- "$pat" "$T/err"; then bad "$*: stderr lacks '$pat': $(cat "$T/err")"; return; fi
    if [ "$want" -ne 0 ] && [ "$(wc -l <"$T/err")" -gt 1 ]; then bad "$*: more than one line on stderr: $(cat "$T/err")"; return; fi
    ok
}
# noleft PATH: neither PATH nor a temporary file of it is left.
noleft() {
    if [ -e "$1" ]; then bad "output $1 was left behind"; return; fi
    d=$(dirname "$1"); b=$(basename "$1")
    if ls -a "$d" | grep -q "^\.$b\.gainstage-"; then bad "temporary file of $1 left behind"; return; fi
    ok
}

"$MKSIG" --rate 48000 --seconds 1 --peak -6 --channels 2 --format s16 sine "$T/in16.wav"
"$MKSIG" --rate 44100 --seconds 0.5 --peak -20 --format f32 voice "$T/voice.wav"
"$MKSIG" --rate 48000 --seconds 0.5 --channels 3 --format s24 pluck "$T/in24.wav"

# --- help and usage --------------------------------------------------------------------------
for c in "" process params presets models; do
    $GS $c --help >"$T/out" 2>&1 && grep -q "Usage" "$T/out" && ok || bad "gainstage $c --help"
done
expect 2 "missing command" -- $GS
expect 2 "unknown command 'frobnicate'" -- $GS frobnicate
expect 0 "" -- $GS --version
expect 2 "unknown option" -- $GS process --frobnicate a.wav b.wav
expect 2 "needs an input and an output" -- $GS process "$T/in16.wav"
expect 2 "one input and one output" -- $GS process a b c
expect 2 "needs a value" -- $GS process "$T/in16.wav" "$T/o.wav" --set

# --- happy paths -----------------------------------------------------------------------------
expect 0 "peak in .* dBFS .* dBu.*peak out" -- $GS process "$T/in16.wav" "$T/o16.wav"
[ "$(field "$T/o16.wav" frames)" = 48000 ] && ok || bad "frames not kept"
[ "$(field "$T/o16.wav" channels)" = 2 ] && ok || bad "channels not kept"
[ "$(field "$T/o16.wav" format)" = s16 ] && ok || bad "s16 in should give s16 out"
[ "$(field "$T/o16.wav" container)" = wav ] && ok || bad "small .wav should stay plain WAV"
expect 0 "" -- $GS process -q --preset clean --format s24 "$T/in24.wav" "$T/o24.flac"
[ "$(field "$T/o24.flac" channels)" = 3 ] && [ "$(field "$T/o24.flac" container)" = flac ] && ok || bad "3-channel FLAC"
[ -s "$T/out" ] && bad "--quiet printed something" || ok
[ -s "$T/err" ] && bad "--quiet printed on stderr" || ok
expect 0 "" -- $GS process --model opamp-stage --set gain=40dB --set cin=22u --set rin=1M "$T/voice.wav" "$T/ov.wav"
[ "$(field "$T/ov.wav" rate)" = 44100 ] && [ "$(field "$T/ov.wav" format)" = f32 ] && ok || bad "44.1 kHz float"

# Float output keeps values above full scale; integer output clips and counts them.
expect 0 "[1-9][0-9]* samples above 0 dBFS" -- $GS process --model opamp-stage --out-dbu -20 --format f32 "$T/in16.wav" "$T/hot.wav"
awk -v p="$(field "$T/hot.wav" peak)" 'BEGIN{exit !(p > 1.5)}' && ok || bad "float output clipped at 1.0"
expect 0 "[1-9][0-9]* samples clipped" -- $GS process --model opamp-stage --out-dbu -20 --format s16 "$T/in16.wav" "$T/hot16.wav"

# Latency is compensated: an impulse comes out where it went in.
"$MKSIG" --rate 48000 --seconds 0.2 --format f32 impulse "$T/imp.wav"
$GS process -q --set gain=0 --in-volts 1 --out-volts 1 "$T/imp.wav" "$T/imp_out.wav"
[ "$(field "$T/imp.wav" argmax)" = "$(field "$T/imp_out.wav" argmax)" ] && ok || bad "latency not compensated: $(field "$T/imp.wav" argmax) vs $(field "$T/imp_out.wav" argmax)"
[ "$(field "$T/imp_out.wav" frames)" = "$(field "$T/imp.wav" frames)" ] && ok || bad "compensation changed the length"
$GS process -q --no-compensate --set gain=0 --in-volts 1 --out-volts 1 "$T/imp.wav" "$T/imp_raw.wav"
[ "$(field "$T/imp.wav" argmax)" != "$(field "$T/imp_raw.wav" argmax)" ] && ok || bad "--no-compensate had no effect"

# Calibration: --in-volts 1 --out-volts 1 at 0 dB of gain is (nearly) a wire at 1 kHz.
"$MKSIG" --rate 48000 --seconds 1 --peak -20 --format f32 sine "$T/sine.wav"
$GS process -q --model opamp-stage --set gain=0 --in-volts 1 --out-volts 1 "$T/sine.wav" "$T/wire.wav"
"$WAV" diff "$T/sine.wav" "$T/wire.wav" | awk -F'esr=' '{exit !($2 < 1e-6)}' && ok || bad "0 dB opamp-stage is not a wire: $("$WAV" diff "$T/sine.wav" "$T/wire.wav")"
# --in-dbu and --in-volts agree: -20 dBu RMS full scale = 0.10954 V peak per unit.
$GS process -q --in-dbu 4 "$T/sine.wav" "$T/c1.wav"
$GS process -q --in-volts 1.7362 "$T/sine.wav" "$T/c2.wav"
"$WAV" diff "$T/c1.wav" "$T/c2.wav" | awk -F'esr=' '{exit !($2 < 1e-8)}' && ok || bad "dBu and volts calibrations disagree"

# Dither: on by default for integer output, reproducible, off with --dither none.
"$MKSIG" --rate 48000 --seconds 0.2 --format s16 silence "$T/sil.wav"
$GS process -q "$T/sil.wav" "$T/d1.wav"; $GS process -q "$T/sil.wav" "$T/d2.wav"
[ "$(field "$T/d1.wav" nonzero)" -gt 1000 ] && ok || bad "no dither on s16 output"
cmp -s "$T/d1.wav" "$T/d2.wav" && ok || bad "dither not reproducible"
$GS process -q --seed 7 "$T/sil.wav" "$T/d3.wav"
cmp -s "$T/d1.wav" "$T/d3.wav" && bad "--seed ignored" || ok
$GS process -q --dither none "$T/sil.wav" "$T/d4.wav"
[ "$(field "$T/d4.wav" nonzero)" = 0 ] && ok || bad "--dither none still dithers"
awk -v p="$(field "$T/d1.wav" peak)" 'BEGIN{exit !(p <= 2.0/32768 + 1e-9)}' && ok || bad "TPDF dither exceeds 1 LSB each side"

# Progress bar only on a terminal (script(1) gives the command one), never in pipes or logs.
if command -v script >/dev/null 2>&1; then
    "$MKSIG" --rate 48000 --seconds 30 --format s16 noise "$T/p.wav"
    script -qc "$GS process $T/p.wav $T/p_out.wav" /dev/null >"$T/tty" 2>&1
    grep -q "processing \[#*" "$T/tty" && grep -q "100%" "$T/tty" && ok || bad "no progress bar on a terminal"
    $GS process "$T/p.wav" "$T/p_out2.wav" 2>"$T/err"
    grep -q "processing" "$T/err" && bad "progress bar written to a non-terminal" || ok
fi

# Presets from files.
printf 'model = ss-preamp\ndescription = test\ngain = 50dB\nhpf = on\n' >"$T/my.preset"
expect 0 "" -- $GS process --preset "$T/my.preset" "$T/in16.wav" "$T/op.wav"
expect 0 "" -- $GS params --preset "$T/my.preset"
grep -q "^gain .*50" "$T/out" && ok || bad "params --preset does not show the preset's value"
expect 0 "" -- $GS params --model opamp-stage
grep -qE "^cin +1n +10m +47u +F" "$T/out" && ok || bad "params table: $(grep cin "$T/out")"
expect 0 "" -- $GS presets
grep -q "^clean" "$T/out" && ok || bad "presets list lacks clean"
# Front-end presets (issue 4): each states its input impedance and gain range.
for p in mic-dynamic mic-ribbon guitar-hi-z piezo phono line; do
    grep -qE "^$p .*(k|M)Ohm.*gain 0-70 dB" "$T/out" && ok || bad "presets: $p lacks impedance or gain range"
done
expect 0 "" -- $GS process -q --preset guitar-hi-z --set zin=470k --set cable=1n "$T/in16.wav" "$T/fe.wav"
expect 0 "" -- $GS process -q --force --preset phono --set iec=on "$T/voice.wav" "$T/fe.wav"
expect 2 "source" -- $GS process -q --preset phono --set source=tuba "$T/voice.wav" "$T/fe2.wav"; noleft "$T/fe2.wav"
expect 0 "" -- $GS models
grep -q "^opamp-stage" "$T/out" && ok || bad "models list lacks opamp-stage"

# --- bad input: usage errors (exit 2), nothing written ---------------------------------------
O="$T/never.wav"
expect 2 "no parameter 'volume'" -- $GS process --set volume=3 "$T/in16.wav" "$O"; noleft "$O"
expect 2 "gain = 90 is out of range \(0 dB to 70 dB" -- $GS process --set gain=90 "$T/in16.wav" "$O"; noleft "$O"
expect 2 "cannot read 'loud'" -- $GS process --set gain=loud "$T/in16.wav" "$O"; noleft "$O"
expect 2 "needs SYMBOL=VALUE" -- $GS process --set gain "$T/in16.wav" "$O"; noleft "$O"
expect 2 "cin = 1 is out of range" -- $GS process --model opamp-stage --set cin=1 "$T/in16.wav" "$O"; noleft "$O"
expect 2 "unknown preset 'nope'" -- $GS process --preset nope "$T/in16.wav" "$O"; noleft "$O"
printf 'model = ss-preamp\ngain = 40\nbogus line\n' >"$T/bad.preset"
expect 2 "line 3" -- $GS process --preset "$T/bad.preset" "$T/in16.wav" "$O"; noleft "$O"
expect 1 "cannot open preset file" -- $GS process --preset "$T/missing.preset" "$T/in16.wav" "$O"; noleft "$O"
expect 2 "unknown model 'tube9000'" -- $GS process --model tube9000 "$T/in16.wav" "$O"; noleft "$O"
expect 2 "not both" -- $GS process --model opamp-stage --preset clean "$T/in16.wav" "$O"; noleft "$O"
expect 2 "--format must be" -- $GS process --format s8 "$T/in16.wav" "$O"; noleft "$O"
expect 2 "FLAC cannot store 32-bit float" -- $GS process --format f32 "$T/in16.wav" "$T/x.flac"; noleft "$T/x.flac"
expect 2 "cannot tell the output format" -- $GS process "$T/in16.wav" "$T/out.xyz"; noleft "$T/out.xyz"
expect 2 "in-dbu needs a level" -- $GS process --in-dbu loud "$T/in16.wav" "$O"; noleft "$O"
expect 2 "in-volts needs a positive" -- $GS process --in-volts -1 "$T/in16.wav" "$O"; noleft "$O"
expect 2 "input calibration once" -- $GS process --in-dbu 0 --in-volts 1 "$T/in16.wav" "$O"; noleft "$O"
expect 2 "seed needs a whole number" -- $GS process --seed x "$T/in16.wav" "$O"; noleft "$O"
expect 2 "is a folder" -- $GS process "$T/in16.wav" "$T"

# Output equal to the input, by any path: refused, input untouched.
cp "$T/in16.wav" "$T/same.wav"; sum1=$(cksum <"$T/same.wav")
expect 2 "is the input file" -- $GS process "$T/same.wav" "$T/same.wav"
expect 2 "is the input file" -- $GS process "$T/same.wav" "$T/./same.wav"
ln -s same.wav "$T/link.wav"
expect 2 "is the input file" -- $GS process "$T/same.wav" "$T/link.wav"
[ "$sum1" = "$(cksum <"$T/same.wav")" ] && ok || bad "input was modified"

# An existing output survives a failed run untouched.
cp "$T/o16.wav" "$T/keep.wav"; sum2=$(cksum <"$T/keep.wav")
$GS process --force --set gain=99 "$T/in16.wav" "$T/keep.wav" 2>/dev/null
[ "$sum2" = "$(cksum <"$T/keep.wav")" ] && ok || bad "failed run damaged the existing output"

# --- bad input: runtime errors (exit 1) ------------------------------------------------------
expect 1 "cannot open input '.*missing.wav'" -- $GS process "$T/missing.wav" "$O"; noleft "$O"
expect 1 "is a folder" -- $GS process "$T" "$O"; noleft "$O"
head -c 5000 /dev/urandom >"$T/garbage.wav"
expect 1 "cannot read input '.*garbage.wav'" -- $GS process "$T/garbage.wav" "$O"; noleft "$O"
: >"$T/empty.wav"
expect 1 "cannot read input" -- $GS process "$T/empty.wav" "$O"; noleft "$O"
printf 'RIFF\044\000\000\000WAVEfmt ' >"$T/trunc_header.wav"
expect 1 "cannot read input" -- $GS process "$T/trunc_header.wav" "$O"; noleft "$O"
"$MKSIG" --rate 22050 --seconds 0.1 sine "$T/lowrate.wav"
expect 1 "22050 Hz; gainstage runs at 44.1 to 192 kHz" -- $GS process "$T/lowrate.wav" "$O"; noleft "$O"
expect 1 "cannot write in the output folder" -- $GS process "$T/in16.wav" "$T/no/such/dir/o.wav"
# A WAV cut short in its data: the readable part is processed, no crash.
head -c 20000 "$T/in16.wav" >"$T/cut.wav"
$GS process -q "$T/cut.wav" "$T/cut_out.wav" 2>"$T/err"; st=$?
[ $st -le 1 ] && ok || bad "truncated WAV: status $st"

# Full disk: a small tmpfs when we may mount one, else a file-size limit (write fails EFBIG).
"$MKSIG" --rate 48000 --seconds 5 --format f32 noise "$T/big.wav"
if [ "$(id -u)" = 0 ] && mkdir -p "$T/small" && mount -t tmpfs -o size=256k tmpfs "$T/small" 2>/dev/null; then
    expect 1 "writing output .* failed: No space left on device" -- $GS process "$T/big.wav" "$T/small/o.wav"
    noleft "$T/small/o.wav"
    umount "$T/small"
else
    (ulimit -f 256; exec $GS process "$T/big.wav" "$T/fsz.wav") >"$T/out" 2>"$T/err"; st=$?
    [ $st = 1 ] && grep -qi "writing output .* failed: File too large" "$T/err" && ok || bad "file-size limit: status $st $(cat "$T/err")"
    noleft "$T/fsz.wav"
fi

# Interrupted: SIGTERM during a long job leaves nothing at OUT.
"$MKSIG" --rate 96000 --seconds 120 --format s16 noise "$T/long.wav"
$GS process -q "$T/long.wav" "$T/long_out.wav" 2>"$T/err" &
pid=$!
sleep 0.5
kill -TERM $pid 2>/dev/null
wait $pid; st=$?
if [ $st = 143 ]; then
    grep -q "interrupted by signal 15; no output written" "$T/err" && ok || bad "interrupt message: $(cat "$T/err")"
    noleft "$T/long_out.wav"
else
    bad "interrupted run: status $st (did it finish before the signal?)"
fi
# kill -9 cannot be caught: still no partial file at OUT (only the hidden temporary).
$GS process -q "$T/long.wav" "$T/killed.wav" 2>/dev/null &
pid=$!
sleep 0.5
kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
[ -e "$T/killed.wav" ] && bad "kill -9 left a partial output" || ok

# Constant memory: ten times the audio does not take (much) more memory.
if command -v /usr/bin/time >/dev/null 2>&1; then
    "$MKSIG" --rate 48000 --seconds 6 --format s16 noise "$T/m1.wav"
    "$MKSIG" --rate 48000 --seconds 60 --format s16 noise "$T/m10.wav"
    /usr/bin/time -f %M $GS process -q "$T/m1.wav" "$T/m1o.wav" 2>"$T/r1"
    /usr/bin/time -f %M $GS process -q "$T/m10.wav" "$T/m10o.wav" 2>"$T/r10"
    r1=$(tail -1 "$T/r1"); r10=$(tail -1 "$T/r10")
    echo "max RSS: 6 s of audio ${r1} KiB, 60 s ${r10} KiB"
    [ "$r10" -lt $((r1 + r1 / 5)) ] && ok || bad "memory grows with the file: $r1 KiB vs $r10 KiB"
fi

# --- the first hour (issue 17, items 2, 3 and 6): choices by name, suggestions, the man page ---
# exact STATUS MESSAGE -- command...: the exit status, and stderr is exactly "gainstage: MESSAGE".
exact() {
    want=$1; msg=$2; shift 3
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" -ne "$want" ]; then bad "$* -> status $got, want $want: $(cat "$T/err")"; return; fi
    if [ "$(cat "$T/err")" != "gainstage: $msg" ]; then bad "$*: stderr '$(cat "$T/err")', want 'gainstage: $msg'"; return; fi
    ok
}
# same A B: the two files hold the same samples (the bytes may differ: a float WAV's PEAK chunk
# has a time stamp).
same() { "$WAV" diff "$1" "$2" | grep -q "same_shape=1 maxdiff=0 "; }
O="$T/never.wav"
# Every choice is listed, under the first and last of the range.
expect 0 "" -- $GS params --model frontend
grep -qE "^source +dynamic +mm +dynamic +choice " "$T/out" && ok || bad "params: source row: $(grep '^source' "$T/out")"
grep -qxE " +one of: dynamic, ribbon, condenser, pickup, piezo, line, mm" "$T/out" && ok || bad "params: source choices not all listed"
grep -qxE " +one of: off, 6dB/oct, 12dB/oct, 18dB/oct, 24dB/oct" "$T/out" && ok || bad "params: hpf slopes not all listed"
expect 0 "" -- $GS params --preset tube
grep -qxE " +one of: fast, high, low-alias" "$T/out" && ok || bad "params: quality hides high"
expect 0 "" -- $GS params --preset clean
grep -A1 "^hpf " "$T/out" | grep -qxE " +one of: off, 12dB/oct \(or on/off\)" && ok || bad "params: clean's hpf states"
# An unknown choice lists the valid ones; on/off only for switches.
exact 2 "source: 'condensor' is not one of dynamic, ribbon, condenser, pickup, piezo, line, mm; did you mean 'condenser'?" -- \
    $GS process --preset mic-dynamic --set source=condensor "$T/in16.wav" "$O"; noleft "$O"
exact 2 "source: 'yes' is not one of dynamic, ribbon, condenser, pickup, piezo, line, mm (on/off is for switches)" -- \
    $GS process --preset mic-dynamic --set source=yes "$T/in16.wav" "$O"; noleft "$O"
exact 2 "quality: 'on' is not one of fast, high, low-alias (on/off is for switches)" -- \
    $GS process --preset tube --set quality=on "$T/in16.wav" "$O"; noleft "$O"
exact 2 "hpf: 'on' is not one of off, 6dB/oct, 12dB/oct, 18dB/oct, 24dB/oct (on/off is for switches)" -- \
    $GS process --preset mic-dynamic --set hpf=on "$T/in16.wav" "$O"; noleft "$O"
exact 2 "hpf: '1' is not one of off, 6dB/oct, 12dB/oct, 18dB/oct, 24dB/oct" -- \
    $GS process --preset line --set hpf=1 "$T/in16.wav" "$O"; noleft "$O"
exact 2 "hpf: '6' is not on, off or 12dB/oct" -- $GS process --preset clean --set hpf=6 "$T/in16.wav" "$O"; noleft "$O"
exact 2 "pad: 'maybe' is not on or off" -- $GS process --set pad=maybe "$T/in16.wav" "$O"; noleft "$O"
exact 2 "gain: cannot read 'on' as a value in dB" -- $GS process --set gain=on "$T/in16.wav" "$O"; noleft "$O"
# A bare number is the front panel's: hpf=12 is 12 dB/oct on the interfaces and on clean alike.
$GS process -q --preset mic-dynamic --set hpf=12 "$T/voice.wav" "$T/h1.wav" &&
    $GS process -q --preset mic-dynamic --set "hpf=12 dB/oct" "$T/voice.wav" "$T/h2.wav" &&
    same "$T/h1.wav" "$T/h2.wav" && ok || bad "mic-dynamic: hpf=12 is not hpf=12dB/oct"
$GS process -q --preset mic-dynamic --set hpf=off "$T/voice.wav" "$T/h3.wav" &&
    ! same "$T/h1.wav" "$T/h3.wav" && ok || bad "mic-dynamic: hpf=12 changed nothing"
$GS process -q --preset clean --set hpf=12 "$T/voice.wav" "$T/h4.wav" &&
    $GS process -q --preset clean --set hpf=on "$T/voice.wav" "$T/h5.wav" &&
    same "$T/h4.wav" "$T/h5.wav" && ok || bad "clean: hpf=12 is not hpf=on"
expect 0 "" -- $GS process -q --preset phono --set source=MM --set hum_freq=60 "$T/voice.wav" "$T/h6.wav"
expect 0 "" -- $GS process -q --force --preset tube --set quality=Low-Alias --set mains=60Hz "$T/voice.wav" "$T/h6.wav"
# The tube quality "standard" was renamed "fast" (issue 15): old command lines mean the same.
$GS process -q --force --preset tube --set quality=standard "$T/voice.wav" "$T/qstd.wav" &&
    $GS process -q --force --preset tube --set quality=fast "$T/voice.wav" "$T/qfast.wav" &&
    same "$T/qstd.wav" "$T/qfast.wav" && ok || bad "tube: quality=standard is not quality=fast"
printf 'model = Frontend\nsource = Condenser\nhpf = 24\n' >"$T/names.preset"
expect 0 "" -- $GS params --preset "$T/names.preset"
grep -qE "^hpf +off +24dB/oct +24dB/oct " "$T/out" && ok || bad "preset file: hpf = 24: $(grep '^hpf' "$T/out")"
printf 'model = frontend\nsource = condensor\n' >"$T/typo.preset"
exact 2 "preset file '$T/typo.preset', line 2: source: 'condensor' is not one of dynamic, ribbon, condenser, pickup, piezo, line, mm; did you mean 'condenser'?" -- \
    $GS params --preset "$T/typo.preset"
# Did you mean: presets, models, parameters and commands; names ignore case and _ for -.
exact 2 "unknown preset 'tub'; did you mean 'tube'? (see 'gainstage presets')" -- $GS process --preset tub "$T/in16.wav" "$O"; noleft "$O"
exact 2 "unknown preset 'tube-hto'; did you mean 'tube-hot'? (see 'gainstage presets')" -- $GS params --preset tube-hto
exact 2 "unknown preset 'zzzz' (see 'gainstage presets')" -- $GS params --preset zzzz
for p in Tube TUBE-HOT tube_hot Mic_Dynamic; do
    expect 0 "" -- $GS params --preset $p
done
expect 0 "" -- $GS process -q --preset Tube_Hot "$T/voice.wav" "$T/h7.wav"
$GS process -q --preset tube-hot "$T/voice.wav" "$T/h8.wav" && same "$T/h7.wav" "$T/h8.wav" && ok || bad "Tube_Hot is not tube-hot"
exact 2 "model tube-preamp has no parameter 'gian'; did you mean 'gain'? (see 'gainstage params --model tube-preamp')" -- \
    $GS process --preset tube --set gian=10 "$T/in16.wav" "$O"; noleft "$O"
exact 2 "model ss-preamp has no parameter 'volume' (see 'gainstage params --model ss-preamp')" -- \
    $GS process --set volume=3 "$T/in16.wav" "$O"; noleft "$O"
exact 2 "unknown model 'tube-pramp'; did you mean 'tube-preamp'? (see 'gainstage models')" -- $GS params --model tube-pramp
expect 0 "" -- $GS params --model Tube-Preamp
exact 2 "unknown command 'proces'; did you mean 'process'? (see 'gainstage --help')" -- $GS proces
exact 2 "unknown command 'frobnicate' (see 'gainstage --help')" -- $GS frobnicate
# --- strips (issue 14): --chain, strip presets, their messages ------------------------------
CH='source source=ribbon zin=10k | tube-preamp gain=6dB | converter bits=24'
expect 0 "" -- $GS process -q --force --chain "$CH" "$T/voice.wav" "$T/ch.wav"
expect 0 "" -- $GS process -q --force --preset ribbon-tube "$T/voice.wav" "$T/rt.wav"
same "$T/ch.wav" "$T/rt.wav" && ok || bad "--chain differs from the same strip as a preset"
expect 0 "" -- $GS process -q --force --chain "$CH" --set drive=-6dB --set converter.dither=off "$T/voice.wav" "$T/ch.wav"
expect 0 "" -- $GS params --chain "$CH"
grep -q "^# block tube-preamp: tube-preamp" "$T/out" && grep -q "^tube-preamp.gain  *-20  *30  *6 " "$T/out" && ok || bad "params --chain: blocks and block.symbol rows"
expect 0 "" -- $GS params --preset boost-tube-boost
grep -q "^boost2.gain  *0  *70  *0 " "$T/out" && grep -q "^# chain = boost1:opamp-stage | tube-stage | boost2:opamp-stage | converter" "$T/out" && ok || bad "params --preset boost-tube-boost"
expect 0 "" -- $GS presets
for p in interface-clean interface-tube interface-digital ribbon-tube hi-z-tube piezo-tube-di boost-tube-boost dynamic-clean-24; do
    grep -q "^$p  *[a-z].* | " "$T/out" && ok || bad "presets lacks the strip $p with its chain"
done
printf '# a strip\nchain = b1:opamp-stage | tube-stage | b2:opamp-stage\nb1.gain = 12dB\ntube = 12AT7\n' >"$T/strip.preset"
expect 0 "" -- $GS process -q --force --preset "$T/strip.preset" "$T/voice.wav" "$T/sp.wav"
expect 0 "" -- $GS process -q --force --chain 'b1:opamp-stage gain=12dB | tube-stage tube=12AT7 | b2:opamp-stage' "$T/voice.wav" "$T/sc.wav"
same "$T/sp.wav" "$T/sc.wav" && ok || bad "a strip preset file differs from its --chain"
expect 0 "" -- $GS measure --quick --chain "$CH" --out "$T/mch"
[ -s "$T/mch/report.json" ] && ok || bad "measure --chain wrote no report"
O=$T/bad.wav
exact 2 "--chain: unknown block 'tube-pramp'; did you mean 'tube-preamp'?" -- \
    $GS process --force --chain 'source | tube-pramp' "$T/voice.wav" "$O"; noleft "$O"
exact 2 "--chain: tube-stage appears twice in the chain: name each one, e.g. tube-stage1:tube-stage" -- \
    $GS process --force --chain 'tube-stage | tube-stage' "$T/voice.wav" "$O"; noleft "$O"
exact 2 "rp is in t1 and t2: write t1.rp" -- \
    $GS process --force --chain 't1:tube-stage | t2:tube-stage' --set rp=220k "$T/voice.wav" "$O"; noleft "$O"
exact 2 "no parameter 'drvie'; did you mean 'drive'?" -- \
    $GS process --force --chain "$CH" --set drvie=-6dB "$T/voice.wav" "$O"; noleft "$O"
exact 2 "--chain: gain = 90dB is out of range (0 dB to 70 dB)" -- \
    $GS params --chain 'opamp-stage gain=90dB'
exact 2 "--chain: the chain has 17 blocks; a strip has at most 16" -- \
    $GS measure --quick --chain 'gate|gate|gate|gate|gate|gate|gate|gate|gate|gate|gate|gate|gate|gate|gate|gate|gate' --out "$T/m17"
exact 2 "give only one of --preset, --model and --chain" -- \
    $GS process --preset tube --chain "$CH" "$T/voice.wav" "$O"
printf 'chain = source | converter\nbits 24\n' >"$T/bad.preset"
exact 2 "preset file '$T/bad.preset', line 2: expected 'key = value'" -- $GS params --preset "$T/bad.preset"

# The man page renders without a warning (groff: Debian package groff-base, in the Makefile's DEPS).
if command -v groff >/dev/null 2>&1; then
    groff -man -ww -z "$SRC/doc/gainstage.1.in" >"$T/groff" 2>&1
    [ $? -eq 0 ] && [ ! -s "$T/groff" ] && ok || bad "groff -man -ww -z doc/gainstage.1: $(cat "$T/groff")"
    # The sentence troff once swallowed as a macro is in the rendered page.
    groff -man -Tutf8 -rHY=0 "$SRC/doc/gainstage.1.in" 2>/dev/null | tr -s ' \n' '  ' |
        grep -q "The input is never written" && ok ||
        bad "man page: 'The input is never written' is not rendered"
else
    bad "groff is not installed (Debian package groff-base): cannot check the man page"
fi

# recover touches only regular files directly in DIR (issue 18, finding 5): a sidecar naming
# ../victim/v.wav, or a symlink in DIR to it, must leave the victim as it was (before the fix:
# "4800 frames in the header, now 4820"); and a LIST chunk after a complete data chunk is not audio.
mkdir -p "$T/rv/victim" "$T/rv/dir"
"$MKSIG" --rate 48000 --seconds 0.1 sine "$T/rv/victim/v.wav"
head -c 80 /dev/zero >>"$T/rv/victim/v.wav"
cp "$T/rv/victim/v.wav" "$T/rv/v.orig"
printf 'rate = 48000\nstatus = recording\nfile.1 = ../victim/v.wav\n' >"$T/rv/dir/t.take"
expect 1 "file.1 is not a file name in the take.s folder" -- $GS recover "$T/rv/dir"
cmp -s "$T/rv/victim/v.wav" "$T/rv/v.orig" && ok || bad "recover rewrote a file outside DIR through '../'"
printf 'rate = 48000\nstatus = recording\nfile.1 = /%s\n' "$T/rv/victim/v.wav" >"$T/rv/dir/t.take"
expect 1 "not a file name" -- $GS recover "$T/rv/dir"
ln -s ../victim/v.wav "$T/rv/dir/l.wav"
printf 'rate = 48000\nstatus = recording\nfile.1 = l.wav\n' >"$T/rv/dir/t.take"
expect 1 "symbolic link" -- $GS recover "$T/rv/dir"
cmp -s "$T/rv/victim/v.wav" "$T/rv/v.orig" && ok || bad "recover rewrote a file outside DIR through a symlink"
rm -f "$T/rv/dir/l.wav"
"$MKSIG" --rate 48000 --seconds 0.1 sine "$T/rv/dir/w.wav"
printf 'LIST\026\000\000\000INFOISFT\012\000\000\000gainstage\000' >>"$T/rv/dir/w.wav"
cp "$T/rv/dir/w.wav" "$T/rv/w.orig"
printf 'rate = 48000\nstatus = recording\nfile.1 = w.wav\n' >"$T/rv/dir/t.take"
expect 0 "" -- $GS recover "$T/rv/dir"
cmp -s "$T/rv/dir/w.wav" "$T/rv/w.orig" && ok || bad "recover counted a LIST chunk as audio: $(cat "$T/out")"

# --- the first hour (issue 17, item 1): batches, overwriting, pipes, every format -------------
sums() { cksum "$@" | awk '{ print $1 }' | tr '\n' ' '; }
mkdir -p "$T/batch" "$T/outd"
"$MKSIG" --rate 48000 --seconds 0.5 --channels 2 --peak -12 --format s24 voice "$T/batch/a.wav"
"$MKSIG" --rate 44100 --seconds 0.3 --peak -12 --format s16 sine "$T/batch/b.wav"
before=$(sums "$T"/batch/*.wav)
# The case of the issue, exactly: two files from a shell glob and no -o. The second one is an
# existing output: refused, and neither file changes.
exact 2 "output '$T/batch/b.wav' exists; add --force to overwrite it (several inputs: -o DIR)" -- \
    $GS process --preset tube "$T"/batch/*.wav
[ "$before" = "$(sums "$T"/batch/*.wav)" ] && ok || bad "process --preset tube batch/*.wav changed a file"
"$MKSIG" --rate 48000 --seconds 0.2 --format f32 pluck "$T/batch/c.wav"
before=$(sums "$T"/batch/*.wav)
exact 2 "process takes one input and one output file, got 3 names (several inputs: -o DIR)" -- \
    $GS process --preset tube "$T"/batch/*.wav
[ "$before" = "$(sums "$T"/batch/*.wav)" ] && ok || bad "three names without -o changed a file"
# -o DIR: one output per input, each keeping its channels, rate and length; one line per file.
expect 0 "" -- $GS process --preset tube "$T"/batch/*.wav -o "$T/outd"
[ "$(grep -c " -> $T/outd/[abc].wav: tube" "$T/err")" = 3 ] && ok || bad "batch: not one line per file: $(cat "$T/err")"
for f in a b c; do
    [ "$(field "$T/outd/$f.wav" channels) $(field "$T/outd/$f.wav" rate) $(field "$T/outd/$f.wav" frames)" = \
        "$(field "$T/batch/$f.wav" channels) $(field "$T/batch/$f.wav" rate) $(field "$T/batch/$f.wav" frames)" ] &&
        ok || bad "batch: $f.wav does not keep its shape"
done
$GS process -q --preset tube "$T/batch/b.wav" "$T/b1.wav" && same "$T/b1.wav" "$T/outd/b.wav" && ok || bad "batch output differs from a single run"
# Again: every output exists, refused before anything is written; --force overwrites.
out_before=$(sums "$T"/outd/*.wav)
exact 2 "output '$T/outd/a.wav' exists; add --force to overwrite it" -- $GS process "$T"/batch/*.wav -o "$T/outd"
[ "$out_before" = "$(sums "$T"/outd/*.wav)" ] && ok || bad "refused batch wrote something"
expect 0 "" -- $GS process -q --force --jobs 1 --preset tube "$T"/batch/*.wav -o "$T/outd/"
[ -s "$T/err" ] && bad "-q batch printed: $(cat "$T/err")" || ok
# OUT is never an input, whatever --force says.
exact 2 "output '$T/batch/a.wav' is the input file '$T/batch/a.wav'; choose another output folder" -- \
    $GS process --force "$T"/batch/*.wav -o "$T/batch"
[ "$before" = "$(sums "$T"/batch/*.wav)" ] && ok || bad "-o onto the inputs changed a file"
mkdir -p "$T/other"; cp "$T/batch/a.wav" "$T/other/a.wav"
exact 2 "'$T/batch/a.wav' and '$T/other/a.wav' would both be written to '$T/outd/a.wav'; process them into different folders" -- \
    $GS process --force "$T/batch/a.wav" "$T/other/a.wav" -o "$T/outd"
expect 1 "output folder '.*nope' does not exist" -- $GS process "$T/batch/a.wav" -o "$T/nope"
expect 2 "--jobs needs a number from 1 to 256, not '0'" -- $GS process --jobs 0 "$T/batch/a.wav" -o "$T/outd"
expect 2 "--jobs needs a whole number" -- $GS process --jobs 1.5 "$T/batch/a.wav" -o "$T/outd"
expect 2 "unknown preset 'tub'" -- $GS process --preset tub "$T"/batch/*.wav -o "$T/outd"
expect 2 "needs at least one input" -- $GS process -o "$T/outd"
# --type renames the outputs of a batch.
mkdir -p "$T/outf"
expect 0 "" -- $GS process -q --type flac --format s24 "$T"/batch/*.wav -o "$T/outf"
[ "$(field "$T/outf/b.flac" container)" = flac ] && [ ! -e "$T/outf/b.wav" ] && ok || bad "--type flac in a batch"
# One unreadable file: status 1, the count of failures, nothing of it left; with one job the
# files after it are not started.
mkdir -p "$T/mixed" "$T/outm"
cp "$T/garbage.wav" "$T/mixed/1bad.wav"; cp "$T/batch/b.wav" "$T/mixed/2good.wav"
$GS process --jobs 1 "$T"/mixed/*.wav -o "$T/outm" 2>"$T/err"; st=$?
[ $st = 1 ] && grep -q "cannot read input .*1bad.wav." "$T/err" && grep -q "^gainstage: 1 of 2 files failed; 1 not started$" "$T/err" && [ ! -e "$T/outm/2good.wav" ] && ok || bad "batch failure: status $st: $(cat "$T/err")"
noleft "$T/outm/1bad.wav"
# SIGTERM to a batch reaches its workers: status 143 and no output, not even a temporary one.
mkdir -p "$T/outl"
$GS process -q "$T/long.wav" -o "$T/outl" 2>"$T/err" &
pid=$!
sleep 0.5
kill -TERM $pid 2>/dev/null
wait $pid; st=$?
[ $st = 143 ] && ok || bad "interrupted batch: status $st: $(cat "$T/err")"
noleft "$T/outl/long.wav"
# An overall bar on a terminal.
if command -v script >/dev/null 2>&1; then
    script -qc "$GS process --force $T/batch/a.wav $T/batch/b.wav -o $T/outd" /dev/null >"$T/tty" 2>&1
    grep -q "processing \[#*\] 2 of 2 files" "$T/tty" && ok || bad "no batch bar on a terminal: $(cat "$T/tty")"
    script -qc "$GS process $T/batch/a.wav -" /dev/null >"$T/tty" 2>&1
    grep -q "standard output is a terminal" "$T/tty" && ok || bad "'-' onto a terminal: $(cat "$T/tty")"
fi

# '-': standard input and output, the same samples as files; a failure writes nothing.
$GS process -q "$T/batch/a.wav" "$T/pf.wav"
$GS process -q - - <"$T/batch/a.wav" >"$T/pp.wav" && same "$T/pf.wav" "$T/pp.wav" && ok || bad "- - differs from files"
$GS process -q --type flac - "$T/pp2.flac" <"$T/batch/a.wav" && [ "$(field "$T/pp2.flac" container)" = flac ] && ok || bad "stdin to a file"
$GS process -q --type flac --format s24 "$T/batch/a.wav" - >"$T/pp3" && [ "$(field "$T/pp3" container)" = flac ] && ok || bad "--type flac to stdout"
$GS process --auto-input peak:-6 - - <"$T/batch/a.wav" >"$T/pp4.wav" 2>"$T/err" && grep -q "input gain +6.00 dB" "$T/err" && ok || bad "auto-input from stdin: $(cat "$T/err")"
expect 1 "cannot read input '-'" -- sh -c "exec $GS process - - <'$T/garbage.wav' >'$T/pp5'"
[ -s "$T/pp5" ] && bad "a failed run wrote to standard output" || ok
expect 2 "standard input \('-'\) has no name" -- $GS process - -o "$T/outd"
expect 2 "--type must be an output extension" -- $GS process --type xyz "$T/batch/a.wav" -
expect 2 "--type ogg disagrees with the name" -- $GS process --type ogg "$T/batch/a.wav" "$T/t.wav"; noleft "$T/t.wav"

# Every format the installed libsndfile writes; lossy ones take --quality, not --format.
for e in au ogg opus mp3; do
    $GS process -q "$T/batch/a.wav" "$T/f.$e" 2>"$T/err"; st=$?
    if [ $st = 2 ] && grep -q "this libsndfile .* cannot write .$e" "$T/err"; then
        echo "note: this libsndfile cannot write .$e (refused in one line)"; ok; continue
    fi
    [ $st = 0 ] && [ "$(field "$T/f.$e" frames)" = 24000 ] && ok || bad ".$e: status $st, $(field "$T/f.$e" frames) frames: $(cat "$T/err")"
done
if command -v file >/dev/null 2>&1; then
    [ -e "$T/f.ogg" ] && { file -b "$T/f.ogg" | grep -q "Vorbis" && ok || bad ".ogg is not Vorbis: $(file -b "$T/f.ogg")"; }
    [ -e "$T/f.opus" ] && { file -b "$T/f.opus" | grep -q "Opus" && ok || bad ".opus is not Opus"; }
    [ -e "$T/f.mp3" ] && { file -b "$T/f.mp3" | grep -q "layer III" && ok || bad ".mp3 is not MP3"; }
fi
if [ -e "$T/f.ogg" ]; then
    $GS process -q --quality 0.1 "$T/batch/a.wav" "$T/q1.ogg" && $GS process -q --quality 0.9 "$T/batch/a.wav" "$T/q9.ogg" &&
        [ "$(wc -c <"$T/q1.ogg")" -lt "$(wc -c <"$T/q9.ogg")" ] && ok || bad "--quality does not change the Vorbis size"
    exact 2 "--format is for PCM outputs; .ogg is lossy (use --quality 0..1)" -- $GS process --format s16 "$T/batch/a.wav" "$T/x.ogg"; noleft "$T/x.ogg"
fi
[ -e "$T/f.opus" ] && { exact 2 "Opus stores 8, 12, 16, 24 or 48 kHz, and '$T/batch/b.wav' is at 44100 Hz; write .ogg or resample first" -- \
    $GS process "$T/batch/b.wav" "$T/x.opus"; noleft "$T/x.opus"; }
$GS process -q --format s24 --quality 0 "$T/batch/a.wav" "$T/q0.flac" && $GS process -q --format s24 --quality 1 "$T/batch/a.wav" "$T/q10.flac" &&
    [ "$(wc -c <"$T/q10.flac")" -le "$(wc -c <"$T/q0.flac")" ] && same "$T/q0.flac" "$T/q10.flac" && ok || bad "FLAC --quality"
exact 2 "--quality needs a number from 0 to 1, not '2'" -- $GS process --quality 2 "$T/batch/a.wav" "$T/x.ogg"; noleft "$T/x.ogg"
exact 2 "--quality is for .ogg, .opus, .mp3 (encoding quality) and .flac (compression), not .wav" -- \
    $GS process --quality 0.5 "$T/batch/a.wav" "$T/x.wav"; noleft "$T/x.wav"
# --help tells all of it.
$GS process --help >"$T/out"
for w in "IN... -o DIR" "--force" "--jobs N" "--type EXT" "--quality Q" "--auto-input M:LEVEL" "--auto-output M:LEVEL" "'-'"; do
    grep -qF -- "$w" "$T/out" && ok || bad "process --help lacks $w"
done

# The Levels section (issue 17, item 4) in the man page and the README, with its three examples.
if command -v groff >/dev/null 2>&1; then
    groff -man -Tutf8 -P-cbou -rHY=0 "$SRC/doc/gainstage.1.in" 2>/dev/null | tr -s " \n" "  " >"$T/man"
    for w in "LEVELS AND RE-AMPING" "0 dBFS = -20 dBu" "--preset tube vocal.wav" "--preset guitar-hi-z --in-dbu 0" \
        "--in-dbu 18 --out-dbu 18" "raises its output" "--auto-output peak:-1"; do
        grep -qF -- "$w" "$T/man" && ok || bad "man page Levels section lacks '$w'"
    done
fi
for w in "## Levels and re-amping" "0 dBFS = X dBu" "--preset tube --set gain=12 --set level=-36" \
    "--preset guitar-hi-z --in-dbu 0" "--in-dbu 18 --out-dbu 18" "**and raises the output**"; do
    grep -qF -- "$w" "$SRC/README.md" && ok || bad "README Levels section lacks '$w'"
done

finish cli
