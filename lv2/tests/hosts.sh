#!/bin/sh
# gainstage.lv2 in real LV2 hosts, from the build tree (LV2_PATH=<build>/lv2).
#
#   hosts.sh validate|lv2apply|jalv|ardour BUILD_DIR
#
# validate  lv2_validate (sord_validate against the installed LV2 specification) on the bundle's
#           generated .ttl, and a deliberately broken copy must be rejected.
# lv2apply  lilv's lv2apply processes files (mono 48 kHz, stereo 44.1 kHz, mono 96 kHz, with
#           parameter and calibration settings); the result must equal `gainstage process
#           --no-compensate` sample for sample (lv2apply does not compensate latency), delayed by
#           the plugin's latency less the model's (the plugin reports the largest of its models').
# jalv      a private jackd (dummy backend, period 100: not a power of two) and jalv hosting the
#           mono plugin: JACK sees the plugin's latency, an LV2 preset loads through jalv's
#           console, a tone from jack_metro goes through and is recorded with jack_rec; the
#           recorded gain and the plugin's meters must match the settings.
# ardour    Ardour 7 headless (ardour7-lua, lv2/tests/ardour.lua): a session on the dummy
#           backend, a track with the plugin, an LV2 preset and a parameter change applied through
#           Ardour; Ardour's latency and the plugin's meters must match; the session is saved.
# Prints "N passed, N failed"; exits non-zero on any failure.
set -u
what=$1
B=$(cd "$2" && pwd)
GS=$B/gainstage
MKSIG=$B/tools/gs-mksig
WAV=$B/tools/gs-wav
BUNDLE=$B/lv2/gainstage.lv2
URI=http://gainstage.invalid/lv2
LV2_PATH=$B/lv2
export LV2_PATH
. "$(dirname "$0")/../../tests/lib.sh"
pids=""

# Run by tests/lib.sh at exit, before it removes $T: only what this script started, by process
# id, newest first.
test_cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    for p in $pids; do wait "$p" 2>/dev/null; done
}
check() { # check DESCRIPTION COMMAND...
    d=$1
    shift
    if "$@"; then ok "$d"; else bad "$d"; fi
}
has() { printf "%s\n" "$1" | grep -q -- "$2"; }
hasnt() { ! has "$1" "$2"; }
not() { ! "$@"; }
wait_port() { # PORT: until JACK lists PORT, for at most 10 s (the check after it says if not)
    k=0
    while ! jack_lsp 2>/dev/null | grep -qx -- "$1"; do
        k=$((k + 1))
        [ $k -gt 100 ] && return 0
        sleep 0.1
    done
}
# Peak level in dB of one channel of a file (sox).
peak_db() { sox "$1" -n remix "$2" stats 2>&1 | awk '/^Pk lev dB/ { print $4 }'; }
# apply_case I PLUGIN MODEL RATE CHANNELS SIGNAL "LV2APPLY CONTROLS" "PROCESS OPTIONS": the
# plugin under lv2apply and gainstage process on the same test signal are bit-identical, once
# lv2apply's output is shifted by the plugin's latency less the model's (MODEL's own plugin, or
# with MODEL empty the strip plugin, which reports the largest of its models').
apply_case() {
    "$MKSIG" --rate "$4" --channels "$5" --seconds 0.5 --peak -6 "$6" "$T/in$1.wav"
    # shellcheck disable=SC2086
    lv2apply -i "$T/in$1.wav" -o "$T/lv2$1.wav" $7 "$2" >"$T/lv2apply$1.log" 2>&1 ||
        cat "$T/lv2apply$1.log"
    # shellcheck disable=SC2086
    lm=$("$GS" process --force --no-compensate -f f32 $8 "$T/in$1.wav" "$T/cli$1.wav" 2>&1 |
        sed -n 's/.*latency \([0-9]*\) samples.*/\1/p')
    lp=$(max_latency "$4" "$3")
    d=$("$WAV" diff "$T/cli$1.wav" "$T/lv2$1.wav" $((lp - lm)) 2>&1)
    echo "  case $1: $2, $4 Hz, $5 ch, $6, [$8], latency plugin $lp, model $lm: $d"
    check "case $1: $2 bit-identical to gainstage process $8 --no-compensate" \
        has "$d" "same_shape=1 maxdiff=0 "
    pk=$("$WAV" info "$T/lv2$1.wav" | sed 's/.*peak=\([^ ]*\).*/\1/')
    check "case $1: output not silent (peak $pk)" awk -v p="$pk" 'BEGIN { exit !(p > 0.01) }'
}
# A built-in LV2 preset as lv2apply options ("-c SYMBOL VALUE" for the model port and every
# parameter of the preset's model), read from the generated presets.ttl.
preset_controls() { # NAME (a strip preset) or MODEL/NAME (a model plugin's)
    awk -v p="<$URI/preset/$1>" '
        $0 == p { on = 1; next }
        on && /^$/ { exit }
        on {
            while (match($0, /lv2:symbol "[^"]*" ; pset:value [^ ]*/)) {
                m = substr($0, RSTART, RLENGTH)
                split(m, a, "\"")
                v = m
                sub(/.*pset:value /, "", v)
                printf "-c %s %s ", a[2], v
                $0 = substr($0, RSTART + RLENGTH)
            }
        }' "$BUNDLE/presets.ttl"
}
# The plugin's latency: the largest of the channel models' (as `gainstage process` reports them),
# over every `quality` of the models that have one (the tube models' high quality is the longest
# at 44.1 kHz).
max_latency() { # [RATE [MODEL]]: the strip's latency, or with MODEL that model's plugin's
    "$MKSIG" --rate "${1:-48000}" --seconds 0.1 silence "$T/s.wav"
    best=0
    models=${2:-$("$GS" models | awk '$2 == "channel" { print $1 }')}
    for m in $models; do
        sets=-
        "$GS" params --model "$m" | grep -q '^quality ' && sets="quality=standard quality=high quality=low-alias"
        for s in $sets; do
            opt=
            [ "$s" = - ] || opt="--set $s"
            # shellcheck disable=SC2086
            l=$("$GS" process --force --model "$m" $opt "$T/s.wav" "$T/s-out.wav" 2>&1 |
                sed -n 's/.*latency \([0-9]*\) samples.*/\1/p')
            [ "${l:-0}" -gt "$best" ] && best=$l
        done
    done
    echo "$best"
}

case $what in
validate)
    out=$(cd "$BUNDLE" && lv2_validate manifest.ttl gainstage.ttl presets.ttl 2>&1)
    echo "$out" | grep -v '^Skipping file' | sed 's/^/  lv2_validate: /'
    check "lv2_validate finds no errors" has "$out" "Found 0 errors"
    check "lv2_validate prints no warnings" hasnt "$out" "[Ww]arning"
    # The validator must be able to fail: a port index that is not a number.
    mkdir -p "$T/broken.lv2"
    cp "$BUNDLE"/*.ttl "$T/broken.lv2/"
    sed -i '0,/lv2:index 0 ;/s//lv2:index "zero" ;/' "$T/broken.lv2/gainstage.ttl"
    out2=$(cd "$T/broken.lv2" && lv2_validate manifest.ttl gainstage.ttl presets.ttl 2>&1)
    echo "$out2" | grep -i error | head -3 | sed "s/^/  broken copy: /"
    check "lv2_validate rejects a broken copy" hasnt "$out2" "Found 0 errors"
    n_presets=$(grep -c 'a pset:Preset' "$BUNDLE/presets.ttl")
    # Built-in presets of channel models ("gainstage presets": name, model, description).
    n_lib=0
    for m in $("$GS" presets | awk '{ print $2 }'); do
        "$GS" models | grep -q "^$m .*channel" && n_lib=$((n_lib + 1))
    done
    echo "  presets in presets.ttl: $n_presets; built-in presets of channel models: $n_lib"
    # Each preset twice: for the strip (URI preset/NAME) and for its model's plugins
    # (preset/MODEL/NAME), each applying only to the plugins whose ports it sets.
    check "every built-in preset of a channel model is an LV2 preset of the strip and of its model" \
        [ "$n_presets" -eq $((2 * n_lib)) -a "$n_lib" -ge 1 ]
    for m in $("$GS" models | awk '/channel/ { print $1 }'); do
        bad=$(awk -v m="$m" -v u="<$URI/$m>" '/^<.*preset\// { p = $1 } /appliesTo/ && p ~ "preset/" m "/" && index($0, u) == 0 { print p }' "$BUNDLE/presets.ttl")
        check "the presets of $m apply to the $m plugins" [ -z "$bad" ]
    done
    # Ranges as a host reads them (lilv): minimum <= default <= maximum on every control port.
    # lilv reads an xsd:integer into an int, so the noise seed's maximum 4294967295 once read -1.
    for u in $(lv2ls | grep "^$URI/"); do
        info=$(lv2info "$u" 2>/dev/null)
        badr=$(printf "%s\n" "$info" | awk '/Symbol:/ { s = $2 } /Minimum:/ { lo = $2 }
            /Maximum:/ { hi = $2 } /Default:/ { if (!(lo + 0 <= $2 + 0 && $2 + 0 <= hi + 0))
            print s " " lo " " $2 " " hi }')
        nports=$(printf "%s\n" "$info" | grep -c 'Default:')
        [ -n "$badr" ] && echo "  ranges lilv reads wrongly: $badr"
        check "$u: all $nports control ranges read by lilv hold min <= default <= max" \
            [ -z "$badr" -a "$nports" -ge 10 ]
    done
    seedmax=$(lv2info "$URI/mono" | awk '/Symbol:/ { s = $2 } /Maximum:/ && s == "seed" { print $2 }')
    check "the seed port's maximum reads as 16777216 (the largest integer a float port holds), not -1" \
        near "$seedmax" 16777216 0.5
    # Names a person can tell apart, units a person reads.
    dup=$(lv2info "$URI/mono" | awk '/Name:/ { $1 = ""; print }' | sort | uniq -d)
    check "the strip's port names are unique" [ -z "$dup" ]
    check "capacitors in pF/nF/uF, resistors in Ohm/kOhm/MOhm, never farads" \
        not grep -q 'units:unit gsu:farad' "$BUNDLE/gainstage.ttl"
    finish
    ;;
lv2apply)
    # Each case: rate channels signal "lv2apply controls" "gainstage options". Both start from
    # the preset "clean" (gainstage process's default; for lv2apply all of its port values from
    # presets.ttl, so other models' defaults on shared ports cannot differ).
    pc=$(preset_controls clean)
    echo "  preset clean as controls: $pc"
    check "preset 'clean' read from presets.ttl" has "$pc" "-c model "
    i=0
    while IFS='|' read -r rate ch sig lc go; do
        i=$((i + 1))
        plugin=$URI/mono
        [ "$ch" = 2 ] && plugin=$URI/stereo
        # The strip plugin keeps one latency for all its models (the largest, so a model switch
        # never changes it): its output is the model's, delayed by the difference.
        apply_case "$i" "$plugin" "" "$rate" "$ch" "$sig" "$pc $lc" "$go"
    done <<EOF
48000|1|voice|-c gain 45 -c hpf 1 -c trim -3|--set gain=45 --set hpf=1 --set trim=-3
44100|2|twotone|-c gain 60 -c pad 1 -c in_dbu -10 -c out_dbu 12|--set gain=60 --set pad=1 --in-dbu -10 --out-dbu 12
96000|1|sweep|-c polarity 1 -c hpf 1 -c hpf_freq 200 -c rail 9|--set polarity=1 --set hpf=1 --set hpf_freq=200 --set rail=9
EOF
    # Each model's own plugin from one of its presets (presets.ttl's preset/MODEL/NAME against
    # process --preset NAME), values in the ports' units (kOhm, nF) against the CLI's.
    while IFS='|' read -r model preset rate ch sig lc go; do
        i=$((i + 1))
        plugin=$URI/$model
        [ "$ch" = 2 ] && plugin=$URI/$model-stereo
        apply_case "$i" "$plugin" "$model" "$rate" "$ch" "$sig" \
            "$(preset_controls "$model/$preset") $lc" "--preset $preset $go"
    done <<EOF
ss-preamp|clean|48000|1|voice|-c gain 50 -c trim -2|--set gain=50 --set trim=-2
tube-preamp|tube-hot|44100|2|twotone||
frontend|guitar-hi-z|48000|1|voice|-c zin 470 -c cable 0.75|--set zin=470k --set cable=750p
frontend|phono|96000|2|sweep||
digital-preamp|digital|48000|1|sweep|-c gain 20|--set gain=20
EOF
    finish
    ;;
jalv)
    JACK_DEFAULT_SERVER=gs-check-$$
    JACK_NO_AUDIO_RESERVATION=1
    export JACK_DEFAULT_SERVER JACK_NO_AUDIO_RESERVATION
    # No real-time scheduling: the test must not depend on the privileges of the machine.
    # Stale registrations of killed servers would stop jackd from starting.
    sh "$(dirname "$0")/../../tools/jack-clean-stale.sh"
    jackd --no-realtime -n "$JACK_DEFAULT_SERVER" -d dummy -r 48000 -p 100 >"$T/jackd.log" 2>&1 &
    pids="$! $pids"
    if ! jack_wait -w -t 10 >/dev/null 2>&1; then
        cat "$T/jackd.log"
        bad "jackd (dummy backend) started"
        finish
    fi
    ok "jackd (dummy backend, server '$JACK_DEFAULT_SERVER') started"
    mkfifo "$T/jalv.in"
    exec 3<>"$T/jalv.in"
    # Start at 50 dB; the preset "clean" (30 dB) is loaded through jalv's console below.
    jalv -c gain=50 -n gsjalv "$URI/mono" <&3 >"$T/jalv.out" 2>&1 &
    jalv_pid=$!
    pids="$jalv_pid $pids"
    wait_port "gsjalv:out"
    check "jalv loaded the plugin (JACK ports gsjalv:in, gsjalv:out)" \
        sh -c "jack_lsp 2>/dev/null | grep -q '^gsjalv:in$'"
    lat=$(max_latency)
    jl=$(jack_lsp -l gsjalv:out 2>/dev/null | sed -n 's/.*playback latency = \[ \([0-9]*\) .*/\1/p')
    echo "  latency: largest of the models (gainstage process) $lat samples, JACK port gsjalv:out $jl"
    check "JACK port latency equals the model's latency ($lat)" [ "$jl" = "$lat" ]
    # jalv loads the presets' data with "presets", then applies one with "preset URI".
    echo presets >&3
    echo "preset $URI/preset/clean" >&3
    sleep 0.3
    jack_metro -b 600 -f 1000 -A 0.5 -D 50 -n gsmetro >"$T/metro.log" 2>&1 &
    pids="$! $pids"
    wait_port "gsmetro:600_bpm"
    jack_connect gsmetro:600_bpm gsjalv:in
    sleep 0.3
    timeout 20 jack_rec -f "$T/rec.wav" -d 1 -b 32 gsmetro:600_bpm gsjalv:out >"$T/rec.log" 2>&1
    # Five readings 130 ms apart (the beats are 100 ms apart): a reading taken in the 2 ms after a
    # beat's onset sees it on the input meter before the output's (107 samples later), so the
    # meters are judged by the median reading, not by one that may fall there.
    for _ in 1 2 3 4 5; do
        echo monitors >&3
        sleep 0.13
    done
    sleep 0.2
    # jalv's stdout is a file (fully buffered): stop it so everything is written.
    kill "$jalv_pid"
    wait "$jalv_pid"
    pin=$(peak_db "$T/rec.wav" 1)
    pout=$(peak_db "$T/rec.wav" 2)
    echo "  recorded: metro peak $pin dBFS, plugin output peak $pout dBFS"
    # clean = 30 dB: -20 dBu in cal, +18 dBu out cal: out = in + 30 - 20 - 18 = in - 8 dB.
    check "recorded gain through jalv is -8.0 dB (preset clean applied)" \
        near "$(awk -v a="$pout" -v b="$pin" 'BEGIN { print a - b }')" -8.0 0.05
    m_lat=$(sed -n 's/^.*latency = \([0-9.]*\)$/\1/p' "$T/jalv.out" | tail -1)
    sed -n 's/^.*peak_in = \([-0-9.]*\)$/\1/p' "$T/jalv.out" >"$T/m_in"
    sed -n 's/^.*peak_out = \([-0-9.]*\)$/\1/p' "$T/jalv.out" >"$T/m_out"
    # the reading whose output-minus-input difference is the median of the readings
    med=$(paste "$T/m_in" "$T/m_out" | awk '{ print $2 - $1, $1, $2 }' | sort -n |
        awk '{ l[NR] = $0 } END { if (NR) print l[int((NR + 1) / 2)] }')
    m_in=$(echo "$med" | awk '{ print $2 }')
    m_out=$(echo "$med" | awk '{ print $3 }')
    echo "  meter readings: $(wc -l <"$T/m_in") (differences: $(paste "$T/m_in" "$T/m_out" |
        awk '{ printf("%s%.2f", (NR > 1 ? " " : ""), $2 - $1) }'))"
    echo "  plugin monitors via jalv: latency $m_lat, peak_in $m_in dBFS, peak_out $m_out dBFS"
    check "latency port read by jalv ($m_lat)" near "${m_lat:-x}" "$lat" 0
    check "meters: input peak within 1.5 dB below -6.02 (PPM fall between beats)" \
        near "${m_in:--999}" -6.77 0.76
    # 0.1 dB: each meter holds the largest sample of a sampled 1 kHz sine (up to 0.02 dB under
    # the crest), and the two see the tone at different phases.
    check "meters: output minus input peak is -8.0 dB" \
        near "$(awk -v a="${m_out:--999}" -v b="${m_in:-0}" 'BEGIN { print a - b }')" -8.0 0.1
    exec 3>&-
    # Each model's own plugin in jalv: JACK sees that model's latency, not the strip's.
    mkfifo "$T/jalv2.in"
    exec 4<>"$T/jalv2.in"
    for m in $("$GS" models | awk '$2 == "channel" { print $1 }'); do
        jalv -n "gs$m" "$URI/$m" <&4 >"$T/jalv-$m.out" 2>&1 &
        jp=$!
        pids="$jp $pids"
        wait_port "gs$m:out"
        ml=$(max_latency 48000 "$m")
        jl=$(jack_lsp -l "gs$m:out" 2>/dev/null | sed -n 's/.*playback latency = \[ \([0-9]*\) .*/\1/p')
        echo "  $URI/$m in jalv: JACK latency $jl, the model's $ml"
        check "jalv: $m plugin's JACK latency is the model's ($ml)" [ -n "$jl" -a "$jl" = "$ml" ]
        kill "$jp"
        wait "$jp" 2>/dev/null
    done
    exec 4>&-
    finish
    ;;
ardour)
    # Ardour 7 headless: ardour7-lua runs lv2/tests/ardour.lua (session on the dummy backend,
    # track, plugin, preset, parameter change; checks printed as ok/FAIL lines). Ardour's
    # configuration and caches go to the temporary folder, never to the user's.
    lat=$(max_latency)
    mlat=$(max_latency 48000 tube-preamp)
    mctl=$(lv2info "$URI/tube-preamp" | grep -c 'lv2core#ControlPort')
    mkdir -p "$T/config" "$T/cache"
    here=$(cd "$(dirname "$0")" && pwd)
    n_all=$(grep -c '^check(' "$here/ardour.lua")
    # One retry, shown in the log: in one full `meson test` run on a loaded machine this test
    # failed once and passed in the next seven runs (the failed run's log was not kept, hence the
    # log printed below on a failed attempt). The second run must pass every check on its own; a
    # failure that repeats fails the test.
    for attempt in 1 2; do
        rm -rf "$T/session" "$T/core"
        start=$(date +%s)
        # In $T with core dumps on: if Ardour ever crashes, the backtrace is printed below.
        (cd "$T" && ulimit -c unlimited 2>/dev/null
        XDG_CONFIG_HOME=$T/config XDG_CACHE_HOME=$T/cache GS_SESSION_DIR=$T/session \
            GS_LATENCY=$lat GS_MODEL_URI=$URI/tube-preamp GS_MODEL_LATENCY=$mlat \
            GS_MODEL_PRESET=$URI/preset/tube-preamp/tube GS_MODEL_CONTROLS=$mctl \
            timeout 120 ardour7-lua "$here/ardour.lua" >"$T/ardour.log" 2>&1)
        rc=$?
        if [ "$rc" -gt 128 ] && [ -f "$T/core" ] && command -v gdb >/dev/null; then
            echo "  ardour7-lua crashed; backtrace of the crashing thread, then all threads:"
            gdb -q -batch -ex 'bt 20' -ex 'thread apply all bt 6' /usr/lib/ardour7/luasession \
                "$T/core" 2>&1 | grep -E '^(Thread|#)' | head -80
        fi
        echo "  ardour7-lua (attempt $attempt): exit $rc after $(($(date +%s) - start)) s"
        n_ok=$(grep -c '^ok: ' "$T/ardour.log")
        n_fail=$(grep -c '^FAIL: ' "$T/ardour.log")
        [ "$rc" -eq 0 ] && [ "$n_ok" -eq "$n_all" ] && break
        echo "  attempt $attempt failed ($n_ok of $n_all checks ok); its log:"
        tail -30 "$T/ardour.log" | sed 's/^/    /'
    done
    grep -E '^(ok|FAIL|  )' "$T/ardour.log"
    pass=$((pass + n_ok))
    fail=$((fail + n_fail))
    [ "$n_fail" -gt 0 ] && tail -20 "$T/ardour.log"
    check "ardour7-lua ran the whole script ($n_all checks, exit 0)" [ "$rc" -eq 0 -a "$n_ok" -eq "$n_all" ]
    check "the saved session holds the plugin" grep -q "$URI/mono" "$T/session/gainstage.ardour"
    check "the saved session holds the model plugin" grep -q "$URI/tube-preamp" "$T/session/gainstage.ardour"
    finish
    ;;
*)
    echo "usage: hosts.sh validate|lv2apply|jalv|ardour BUILD_DIR" >&2
    exit 2
    ;;
esac
