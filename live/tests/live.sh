#!/bin/sh
# 'gainstage live' against a private JACK server ('jackd -d dummy', name gstest-PID), fed by
# live_helper (a JACK client that plays known signals and reports JACK frame times).
#   A. record 4 channels at both taps (pre- and post-preamp, float WAV) and compare sample for
#      sample, bit-exact: post = 'gainstage process --no-compensate' of pre (always, whatever
#      the load), pre = the feed, and post = 'gainstage process' of the feed. Alignment: the recorder writes the
#      JACK frame time of its first sample into the take's sidecar (start_frame), the feeder
#      prints the frame time of its signal's sample 0; the feeder plays SIG[t - start] at frame t,
#      so the input of every recorded frame is known (silence before the start). Periods the
#      server skipped (xruns on a loaded machine) are silence in the file, listed as "gap" lines
#      in the sidecar; (1) leaves them out of both files, (2) and (3) compare up to the first
#      one (an xrun can also hand a client a stale buffer, so the feed is only known up to it),
#      and up to the feeder's first irregular cycle (late, or an xrun reported to it), which it
#      prints. (1) holds whatever the feeder did: the engine reads each input buffer once.
#   A2. the same for channel strips (a built-in strip and a --chain text), and their latency.
#   A3. the same for five channels of preset tube (four of them processed as vector lanes).
#   B. OSC: meters, gain, mute, solo with the pan law, level, preset, errors; the session file
#      saves and restores the setup.
#   C. kill -9 during a recording (pre-preamp tap): the files must open as they are, 'gainstage
#      recover' must extend them, and the audio lost (frame time at which the server reported the
#      client gone, minus the take's start, minus the frames in the file) is printed in ms and must
#      be under 1 s. The recovered audio must equal the looped feed, sample for sample (up to
#      the feeder's first irregular cycle, as in A).
#   E. (after D) the terminal view in a pseudo-terminal: keys select, mute and change gain; 'q'
#      quits with status 0 and the terminal is restored.
#   D. a full disk (a 300 kB tmpfs, or a 300 kB file-size limit where mounting is not allowed)
#      stops the recording with a message while the client keeps running; then the server is
#      stopped under the client, which must exit with status 1 and a message.
# Every wait polls for a condition with a generous deadline (no fixed sleeps).
# usage: live.sh GAINSTAGE   (env: MKSIG, WAVTOOL, LIVE_HELPER; GS_LIVE_SERVER=pipewire runs A
# and A2 under PipeWire's JACK, see start_pipewire)
set -u
GS=$1
MKSIG=${MKSIG:?}
WAV=${WAVTOOL:?}
H=${LIVE_HELPER:?}
. "$(dirname "$0")/lib.sh" # check, waitfor (over tests/lib.sh)
SRV=gstest-$$
export JACK_NO_START_SERVER=1
export JACK_NO_AUDIO_RESERVATION=1
JPID=""
MNT=""
PIDS=""
# run by tests/lib.sh at exit, before it removes $T
test_cleanup() {
    for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
    [ -n "$JPID" ] && kill -9 "$JPID" 2>/dev/null
    [ -n "$MNT" ] && umount "$MNT" 2>/dev/null
}
# reaped PID SECONDS: wait until PID has exited, then collect its status in $st.
reaped() {
    if waitfor "! kill -0 $1" "$2"; then wait "$1"; st=$?; return 0; fi
    st=999
    return 1
}
osc() { "$H" osc "$PORT" "$@"; }
# oscnum PATH INDEX: the INDEX-th (1-based) argument of the reply.
oscarg() { p=$1; i=$2; shift 2; "$H" osc "$PORT" "$p" "$@" | awk -v i="$i" '{print $(i + 1)}'; }
end_test() { finish; }

# GS_LIVE_SERVER=pipewire: PipeWire's JACK instead of jackd, a private daemon named $SRV at a
# 64-frame quantum (tools/pipewire-private.sh); every JACK client of this script then loads
# PipeWire's libjack (what pw-jack does).
PW=${GS_LIVE_SERVER:-jackd}
start_pipewire() {
    PWT="$(dirname "$0")/../../tools/pipewire-private.sh"
    lib=$(sh "$PWT" --libjack)
    [ -e "$lib/libjack.so.0" ] || { bad "PipeWire's JACK library is missing ($lib): apt-get install pipewire-jack"; end_test; }
    export XDG_RUNTIME_DIR="$T/pw/run" PIPEWIRE_RUNTIME_DIR="$T/pw/run"
    export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    sh "$PWT" "$T/pw" "$SRV" 64 >"$T/jackd.log" 2>&1 &
    JPID=$!
}
start_jack() {
    if [ "$PW" = pipewire ]; then
        start_pipewire
    else
        # Stale registrations of killed servers would stop jackd from starting.
        sh "$(dirname "$0")/../../tools/jack-clean-stale.sh"
        jackd -n "$SRV" -d dummy -r 48000 -p "$1" >"$T/jackd.log" 2>&1 &
        JPID=$!
    fi
    if ! "$H" wait-server "$SRV" 30; then
        bad "jackd did not start: $(cat "$T/jackd.log")"
        end_test
    fi
}

# Signals: 1.5 s each, different material per input.
"$MKSIG" --rate 48000 --seconds 1.5 --peak -12 --freq 997 sine "$T/s1.wav"
"$MKSIG" --rate 48000 --seconds 1.5 --peak -6 voice "$T/s2.wav"
"$MKSIG" --rate 48000 --seconds 1.5 --peak -3 pluck "$T/s3.wav"
"$MKSIG" --rate 48000 --seconds 1.5 --peak -20 sweep "$T/s4.wav"
"$MKSIG" --rate 48000 --seconds 1 --peak -20 --freq 1000 sine "$T/tone.wav"

# --- usage and a missing server: one-line messages and the documented exit statuses --------
usage() {
    want=$1; pat=$2; shift 2
    "$@" >"$T/u.out" 2>"$T/u.err"
    got=$?
    check "[ $got -eq $want ] && grep -q -- '$pat' '$T/u.err' && [ \$(wc -l <'$T/u.err') -le 1 ]" "$* -> $got: $(cat "$T/u.err")"
}
usage 2 "inputs needs a whole number" "$GS" live --inputs 0
usage 2 "record-point must be" "$GS" live --record-point middle
usage 2 "record-format must be" "$GS" live --record-format mp3
usage 2 "channel needs K:PRESET" "$GS" live --channel clean
usage 2 "takes no file names" "$GS" live extra
usage 2 "unknown preset .nosuch." "$GS" live --preset nosuch --server "gstest-none-$$"
usage 1 "JACK server .gstest-env-$$." env JACK_DEFAULT_SERVER="gstest-env-$$" "$GS" live
usage 1 "cannot connect to the JACK server .gstest-none-$$." "$GS" live --server "gstest-none-$$"
usage 2 "recover needs one folder" "$GS" recover
usage 1 "cannot open folder" "$GS" recover "$T/no-such-dir"
"$GS" live --help | grep -q "Usage: gainstage live" && ok || bad "live --help"
"$GS" recover --help | grep -q "Usage: gainstage recover" && ok || bad "recover --help"

# --- recover keeps a take's channels aligned: a kill between two channels' writes leaves one file
# a write longer than the others beyond the frames its header counts (synced for all channels
# alike); both must end at the shorter one's last whole frame (no server needed) ---------------
mkdir "$T/recR"
"$MKSIG" --rate 48000 --seconds 0.25 --peak -6 pluck "$T/recR/t-ch01.wav"
"$MKSIG" --rate 48000 --seconds 0.25 --peak -6 voice "$T/recR/t-ch02.wav"
cp "$T/recR/t-ch01.wav" "$T/r1.wav"
head -c 9600 /dev/urandom >>"$T/recR/t-ch01.wav" # 2400 f32 frames past its header
printf 'take = t\nrate = 48000\nchannels = 2\nstatus = recording\nfile.1 = t-ch01.wav\nfile.2 = t-ch02.wav\n' >"$T/recR/t.take"
cp -r "$T/recR" "$T/recS"
"$GS" recover "$T/recR" >"$T/recR.out" 2>&1
check "[ $? -eq 0 ]" "recover of an uneven take failed: $(cat "$T/recR.out")"
check "[ '$(field "$T/recR/t-ch01.wav" frames)' = 12000 ] && [ '$(field "$T/recR/t-ch02.wav" frames)' = 12000 ]" \
    "recover left the channels at $(field "$T/recR/t-ch01.wav" frames) and $(field "$T/recR/t-ch02.wav" frames) frames, not both 12000"
r=$("$H" compare "$T/recR/t-ch01.wav" "$T/r1.wav" 0)
check "[ $? -eq 0 ]" "recover changed the audio it kept: $r"
echo "recover of a take with 14400 and 12000 frames on disk (headers 12000): $(field "$T/recR/t-ch01.wav" frames) and $(field "$T/recR/t-ch02.wav" frames), kept audio: $r"
# ... but never below what a header already counted: a file shorter than that (damaged some
# other way) does not cost the other channels their synced audio.
"$MKSIG" --rate 48000 --seconds 0.2 --peak -6 voice "$T/recS/t-ch02.wav"
"$GS" recover "$T/recS" >"$T/recS.out" 2>&1
check "[ $? -eq 0 ] && [ '$(field "$T/recS/t-ch01.wav" frames)' = 12000 ] && [ '$(field "$T/recS/t-ch02.wav" frames)' = 9600 ]" \
    "recover with a short channel: $(field "$T/recS/t-ch01.wav" frames) and $(field "$T/recS/t-ch02.wav" frames) frames, want 12000 and 9600: $(cat "$T/recS.out")"

start_jack 1024

# --- A. recording against offline processing ----------------------------------------------
"$GS" live --server "$SRV" --inputs 4 --record "$T/recA" --record-point both --osc-port off --status-interval 0.2 \
    >"$T/A.out" 2>&1 &
G=$!
PIDS="$PIDS $G"
check "waitfor \"grep -q 'live: recording' '$T/A.out'\" 30" "A: recording did not start: $(cat "$T/A.out")"
"$H" play "$SRV" gainstage:in_ "$T/s1.wav" "$T/s2.wav" "$T/s3.wav" \
    "$T/s4.wav" >"$T/playA.out" || bad "A: feeder failed"
kill -TERM "$G"
reaped "$G" 30
check "[ $st -eq 0 ]" "A: SIGTERM should stop with status 0, got $st: $(cat "$T/A.out")"
take=$(ls "$T"/recA/*.take 2>/dev/null | head -1)
check "grep -q 'status = complete' '$take'" "A: take not marked complete"
start=$(sed -n 's/^start_frame=//p' "$T/playA.out")
# A late feeder cycle leaves what reached us unknown from there on (live_helper play).
knownA=$(sed -n 's/^feed_known_until=//p' "$T/playA.out")
[ -n "$knownA" ] && echo "A: the feeder ran late or saw an xrun: the feed is compared up to frame $knownA"
tstart=$(sed -n 's/^start_frame = //p' "$take")
off=$((start - tstart))
echo "A: take starts at frame $tstart, signal at $start: offset $off frames; $(grep -c . "$T/A.out") lines of output"
grep "periods dropped" "$T/A.out"
# Under PipeWire at 64 frames a loaded machine has xruns every few tens of milliseconds, and
# PipeWire reports each to every client: the feed can then be known only up to a frame before
# the signal starts. Such a comparison holds only silence; it must still be exact (maxdiff 0),
# and what it covered is printed. (1) above is checked in full whatever the xruns.
feed_unknown() {
    [ "$PW" = pipewire ] && echo "$1" | grep -q 'maxdiff=0 .*ref_rms=0$' &&
        echo "A: the feed was known only before the signal started here: $1"
}
for k in 1 2 3 4; do
    pre=$(ls "$T"/recA/*-ch0$k-pre.wav)
    post=$(ls "$T"/recA/*-ch0$k.wav)
    # (1) the post-preamp file is 'gainstage process' of the pre-preamp file, bit for bit.
    "$H" strip "$pre" "$take" "$T/pre$k.wav" >/dev/null
    "$H" strip "$post" "$take" "$T/post$k.wav" >"$T/strip.out"
    "$GS" process -q --force --no-compensate --format f32 "$T/pre$k.wav" "$T/ref$k.wav"
    r=$("$H" compare "$T/post$k.wav" "$T/ref$k.wav" 0)
    check "[ $? -eq 0 ]" "A: channel $k post differs from gainstage process of pre: $r"
    echo "A: channel $k: post-preamp file vs gainstage process of the pre-preamp file: $r ($(cat "$T/strip.out"))"
    # (2) the pre-preamp file holds the feed, sample-aligned by the frame times (up to the first
    # skipped period, if the loaded machine caused any).
    "$H" expect "$pre" "$take" "$start" "$T/s$k.wav" "$T/in$k.wav" --prefix --until "$knownA" >"$T/exp.out"
    r=$("$H" compare "$T/in$k.wav" "$pre" 0)
    check "[ $? -eq 0 ] || feed_unknown '$r'" "A: channel $k pre-preamp file differs from the feed: $r"
    echo "A: channel $k: pre-preamp file vs the feed placed by frame times: $r ($(cat "$T/exp.out"))"
    # (3) and offline processing of the feed itself gives the post file (the frames before the
    # first skipped period).
    "$GS" process -q --force --no-compensate --format f32 "$T/in$k.wav" "$T/reff$k.wav"
    r=$("$H" compare "$T/reff$k.wav" "$post" 0)
    check "[ $? -eq 0 ] || feed_unknown '$r'" "A: channel $k post differs from gainstage process of the feed: $r"
done
grep "xruns" "$T/A.out" | tail -1
# The stop line times the process callback: the late periods are split into their causes, and at
# 1024-frame periods 4 clean channels (about 2 % of a core) never need a whole period of CPU time:
# a "DSP" late period here would be our callback gone wrong (denormals, a runaway loop), not the
# machine.
sl=$(grep "^live: stopped" "$T/A.out")
m=$(echo "$sl" | sed -n 's/.*late periods \([0-9]*\) (DSP \([0-9]*\), started late \([0-9]*\), stalled \([0-9]*\)).*/\1 \2 \3 \4/p')
check "[ -n '$m' ] && echo '$sl' | grep -q 'CPU mean [0-9.]*% max [0-9.]*%, latest start'" "A: stop line without the timing: $sl"
read -r lp ld ll ls <<EOF
${m:-0 0 0 0}
EOF
# (PipeWire runs at 64 frames, 1.33 ms: there a period can be late for the machine's sake.)
check "[ $lp -eq $((ld + ll + ls)) ] && { [ $ld -eq 0 ] || [ $PW = pipewire ]; }" "A: late periods $lp (DSP $ld, started late $ll, stalled $ls)"

# --- A2. channel strips: a preset strip and a chain typed on the command line, recorded live,
# equal 'gainstage process' of the pre-preamp file with the same strip, bit for bit; and the
# strip's JACK port latency is its blocks' latencies summed (what 'process' reports) ------------
CH='source source=ribbon | tube-preamp gain=6dB | converter bits=24'
"$GS" live --server "$SRV" --inputs 2 --channel "1:$CH" --channel 2:boost-tube-boost \
    --record "$T/recA2" --record-point both --osc-port off --status-interval 0.2 >"$T/A2.out" 2>&1 &
G=$!
PIDS="$PIDS $G"
check "waitfor \"grep -q 'live: recording' '$T/A2.out'\" 30" "A2: recording did not start: $(cat "$T/A2.out")"
for k in 1 2; do
    if [ $k = 1 ]; then set -- --chain "$CH"; else set -- --preset boost-tube-boost; fi
    l=$("$GS" process --force --no-compensate "$@" "$T/tone.wav" "$T/lat.wav" 2>&1 | sed -n 's/.*latency \([0-9]*\) samples.*/\1/p')
    # (The server may publish a port's latency a few periods after the client set it.)
    lagk() { echo $(($("$H" latency "$SRV" gainstage:out_$k) - $("$H" latency "$SRV" gainstage:in_$k))); }
    check "[ -n '$l' ] && waitfor '[ \$(lagk) = $l ]' 10" "A2: strip $k: out_$k lags in_$k by $(lagk), process reports $l"
    lj=$(lagk)
    echo "A2: strip $k ($*): JACK latency out_$k - in_$k $lj frames, process reports $l"
done
"$H" play "$SRV" gainstage:in_ "$T/s1.wav" "$T/s3.wav" >"$T/playA2.out" || bad "A2: feeder failed"
kill -TERM "$G"
reaped "$G" 30
check "[ $st -eq 0 ]" "A2: SIGTERM status $st: $(cat "$T/A2.out")"
grep -E "^live: (stopped|recording .* stopped)" "$T/A2.out"
take=$(ls "$T"/recA2/*.take 2>/dev/null | head -1)
check "grep -q '^preset.1 = $CH\$' '$take' && grep -q '^preset.2 = boost-tube-boost\$' '$take'" \
    "A2: the sidecar does not name the strips: $(grep preset "$take")"
for k in 1 2; do
    if [ $k = 1 ]; then set -- --chain "$CH"; else set -- --preset boost-tube-boost; fi
    "$H" strip "$(ls "$T"/recA2/*-ch0$k-pre.wav)" "$take" "$T/a2pre$k.wav" >/dev/null
    "$H" strip "$(ls "$T"/recA2/*-ch0$k.wav)" "$take" "$T/a2post$k.wav" >/dev/null
    "$GS" process -q --force --no-compensate "$@" --format f32 "$T/a2pre$k.wav" "$T/a2ref$k.wav"
    r=$("$H" compare "$T/a2post$k.wav" "$T/a2ref$k.wav" 0)
    check "[ $? -eq 0 ]" "A2: strip $k post differs from gainstage process $* of pre: $r"
    echo "A2: strip $k ($*): post-preamp file vs gainstage process of the pre-preamp file: $r"
done

# --- A3. five channels of preset tube, which the engine runs four at a time as vector lanes (and
# the fifth alone): each recorded channel equals 'gainstage process' of its pre-preamp file, bit
# for bit --------------------------------------------------------------------------------------
"$GS" live --server "$SRV" --inputs 5 --preset tube --record "$T/recA3" --record-point both \
    --osc-port off --status-interval 0.2 >"$T/A3.out" 2>&1 &
G=$!
PIDS="$PIDS $G"
check "waitfor \"grep -q 'live: recording' '$T/A3.out'\" 30" "A3: recording did not start: $(cat "$T/A3.out")"
"$H" play "$SRV" gainstage:in_ "$T/s1.wav" "$T/s2.wav" "$T/s3.wav" "$T/s4.wav" \
    "$T/s1.wav" >"$T/playA3.out" || bad "A3: feeder failed"
kill -TERM "$G"
reaped "$G" 30
check "[ $st -eq 0 ]" "A3: SIGTERM status $st: $(cat "$T/A3.out")"
take=$(ls "$T"/recA3/*.take 2>/dev/null | head -1)
for k in 1 2 3 4 5; do
    "$H" strip "$(ls "$T"/recA3/*-ch0$k-pre.wav)" "$take" "$T/a3pre$k.wav" >/dev/null
    "$H" strip "$(ls "$T"/recA3/*-ch0$k.wav)" "$take" "$T/a3post$k.wav" >/dev/null
    "$GS" process -q --force --no-compensate --preset tube --format f32 "$T/a3pre$k.wav" "$T/a3ref$k.wav"
    r=$("$H" compare "$T/a3post$k.wav" "$T/a3ref$k.wav" 0)
    check "[ $? -eq 0 ]" "A3: channel $k post differs from gainstage process --preset tube of pre: $r"
    echo "A3: channel $k (tube): post-preamp file vs gainstage process of the pre-preamp file: $r"
done

# Under PipeWire: the recordings above, bit-exact, are what this run is for (the server options,
# period changes and server loss below are jackd's).
[ "$PW" = pipewire ] && end_test

# --- B. OSC and the session file ------------------------------------------------------------
"$GS" live --server "$SRV" --inputs 2 --session "$T/s.session" --osc-port auto \
    --status-interval 0.5 >"$T/B.out" 2>&1 &
G=$!
PIDS="$PIDS $G"
check "waitfor \"grep -q 'OSC on' '$T/B.out'\" 30" "B: no OSC port: $(cat "$T/B.out")"
PORT=$(sed -n 's|.*OSC on osc.udp://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/B.out")
"$H" play "$SRV" gainstage:in_ --loop --timeout 120 "$T/tone.wav" "$T/tone.wav" >"$T/playB.out" &
F=$!
PIDS="$PIDS $F"
"$GS" process -q --force --format f32 "$T/tone.wav" "$T/tone30.wav"
want=$("$WAV" level "$T/tone30.wav" | sed -n 's/.*peak_dbfs=\([-0-9.]*\).*/\1/p')
want40=$(awk -v w="$want" 'BEGIN { print w + 10 }')
mon=$(awk -v w="$want" 'BEGIN { print w - 3.0103 }') # constant-power pan law, centre
meter1() { oscarg /gainstage/ch/1/meter 2; }
check "waitfor 'near \$(meter1) $want 0.1' 30" "B: ch 1 meter $(meter1) dBFS, want $want"
r=$(osc /gainstage/ch/1/gain f:40)
check "[ '$r' = '/gainstage/ok /gainstage/ch/1/gain' ]" "B: gain reply '$r'"
check "waitfor 'near \$(meter1) $want40 0.1' 30" "B: after gain 40 dB the meter shows $(meter1), want $want40"
echo "B: ch 1 peak at 30 dB gain $want dBFS expected; at 40 dB: $(meter1) dBFS (want $want40)"
# The server's period changes under the running client: it must follow and keep processing.
"$H" bufsize "$SRV" 2048
check "[ $? -eq 0 ]" "B: could not change the server's period"
check "waitfor \"grep -q '2048 frames' '$T/B.out'\" 30" "B: the client did not follow the period change"
check "waitfor 'near \$(meter1) $want40 0.1' 30" "B: after the period change the meter shows $(meter1)"
osc /gainstage/ch/2/solo i:1 >/dev/null
monl() { oscarg /gainstage/meters 3; }
check "waitfor 'near \$(monl) $mon 0.1' 30" "B: solo ch 2: monitor L $(monl), want $mon"
echo "B: ch 2 soloed: monitor L $(monl) dBFS (want $mon: ch 2 alone, centre pan -3.01 dB)"
# The monitor master (issue 16): the bus 6 dB down, read back; refused out of range; the direct
# output as it was. Left at -4.5 dB for the session below.
r=$(osc /gainstage/monitor/level f:-6)
check "[ '$r' = '/gainstage/ok /gainstage/monitor/level' ]" "B: master reply '$r'"
mon6=$(awk -v m="$mon" 'BEGIN { print m - 6 }')
check "waitfor 'near \$(monl) $mon6 0.1' 30" "B: master -6 dB: monitor L $(monl), want $mon6"
echo "B: master -6 dB: monitor L $(monl) dBFS (want $mon6)"
check "[ \"\$(oscarg /gainstage/monitor/get 1)\" = -6.0000 ]" "B: master reads $(oscarg /gainstage/monitor/get 1)"
for v in f:12.5 s:nan s:inf s:-6dB; do
    r=$(osc /gainstage/monitor/level $v)
    check "echo '$r' | grep -q '^/gainstage/error /gainstage/monitor/level .*monitor master'" "B: master $v: '$r'"
done
check "[ \"\$(oscarg /gainstage/monitor/get 1)\" = -6.0000 ]" "B: refusals changed the master: $(oscarg /gainstage/monitor/get 1)"
check "near \$(meter1) $want40 0.1" "B: the master must not change the direct output (meter $(meter1))"
osc /gainstage/monitor/level f:-4.5 >/dev/null
osc /gainstage/ch/2/solo i:0 >/dev/null
osc /gainstage/ch/1/mute i:1 >/dev/null
osc /gainstage/ch/2/mute i:1 >/dev/null
check "waitfor '[ \$(monl) = -180.0000 ]' 30" "B: both muted: monitor L $(monl), want silence"
check "near \$(meter1) $want40 0.1" "B: mute must not change the direct output (meter $(meter1))"
r=$(osc /gainstage/ch/9/gain f:30)
check "echo '$r' | grep -q '^/gainstage/error .*no channel 9'" "B: channel 9: '$r'"
r=$(osc /gainstage/ch/1/gain f:500)
check "echo '$r' | grep -q '^/gainstage/error .*gain must be'" "B: gain 500: '$r'"
r=$(osc /gainstage/ch/1/preset s:nosuch)
check "echo '$r' | grep -q '^/gainstage/error .*unknown preset'" "B: bad preset: '$r'"
r=$(osc /gainstage/ch/1/preset s:clean)
check "[ '$r' = '/gainstage/ok /gainstage/ch/1/preset' ]" "B: preset reply '$r'"
check "waitfor 'near \$(meter1) $want 0.1' 30" "B: preset clean should bring 30 dB back: $(meter1)"
osc /gainstage/ch/2/level f:-6 >/dev/null
osc /gainstage/ch/2/pan f:-0.5 >/dev/null
osc /gainstage/ch/1/gain f:45 >/dev/null
r=$(osc /gainstage/ch/2/get)
check "[ '$r' = '/gainstage/ch/2/get clean 30.0000 -6.0000 -0.5000 1 0' ]" "B: get ch 2: '$r'"
# Port latency for the DAW: out_K lags in_K by the channel's latency (what 'process' compensates).
lat=$("$GS" process --force --no-compensate "$T/tone.wav" "$T/lat.wav" 2>&1 | sed -n 's/.*latency \([0-9]*\) samples.*/\1/p')
lin=$("$H" latency "$SRV" gainstage:in_1)
lout=$("$H" latency "$SRV" gainstage:out_1)
check "[ -n '$lat' ] && [ $((lout - lin)) -eq '$lat' ]" "B: out_1 capture latency $lout, in_1 $lin, channel $lat"
echo "B: JACK capture latency in_1 $lin, out_1 $lout frames (channel latency $lat)"
r=$(osc /gainstage/status)
check "echo '$r' | grep -q 'xruns'" "B: status '$r'"
kill -TERM "$G"
reaped "$G" 30
check "[ $st -eq 0 ]" "B: stop status $st"
check "grep -q '^ch.1.param.gain = 45$' '$T/s.session'" "B: session lacks gain 45: $(cat "$T/s.session")"
check "grep -q '^monitor.level = -4.5$' '$T/s.session'" "B: session lacks the master: $(cat "$T/s.session")"
reaped "$F" 30 || bad "B: feeder did not notice the client leaving"

# --- B2. a take's sidecar logs the changes made during it; silence reads -inf (issue 16 item 5)
"$GS" live --server "$SRV" --inputs 2 --record "$T/recB2" --osc-port auto --status-interval 0.2 \
    >"$T/B2.out" 2>&1 &
G=$!
PIDS="$PIDS $G"
check "waitfor \"grep -q 'OSC on' '$T/B2.out'\" 30" "B2: no OSC port: $(cat "$T/B2.out")"
PORT=$(sed -n 's|.*OSC on osc.udp://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/B2.out")
osc /gainstage/ch/1/gain f:12.5 >/dev/null
osc /gainstage/monitor/level f:-3 >/dev/null
check "waitfor \"grep -q 'pre -inf post -inf dBFS' '$T/B2.out'\" 30" "B2: silence: $(tail -1 "$T/B2.out")"
osc /gainstage/ch/2/preset s:tube >/dev/null
osc /gainstage/quit >/dev/null
reaped "$G" 30
take=$(ls "$T"/recB2/*.take | head -1)
check "grep -Eq '^param\.[0-9]+ = [0-9.]+ monitor\.level -3\$' '$take'" "B2: no master change in the sidecar"
check "grep -Eq '^param\.1 = [0-9.]+ ch\.1\.gain 12\.5\$' '$take'" "B2: sidecar: $(grep param "$take")"
check "grep -Eq '^param\.[0-9]+ = [0-9.]+ ch\.2\.preset tube\$' '$take'" "B2: no preset switch in the sidecar"
"$GS" live --server "$SRV" --session "$T/s.session" --osc-port auto >"$T/B2.out" 2>&1 &
G=$!
PIDS="$PIDS $G"
check "waitfor \"grep -q 'OSC on' '$T/B2.out'\" 30" "B: restart: $(cat "$T/B2.out")"
PORT=$(sed -n 's|.*OSC on osc.udp://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/B2.out")
"$H" play "$SRV" gainstage:in_ --loop --timeout 120 "$T/tone.wav" "$T/tone.wav" >"$T/playB2.out" &
F=$!
PIDS="$PIDS $F"
r1=$(osc /gainstage/ch/1/get)
r2=$(osc /gainstage/ch/2/get)
check "[ '$r1' = '/gainstage/ch/1/get clean 45.0000 0.0000 0.0000 1 0' ]" "B: restored ch 1: '$r1'"
check "[ '$r2' = '/gainstage/ch/2/get clean 30.0000 -6.0000 -0.5000 1 0' ]" "B: restored ch 2: '$r2'"
r=$(osc /gainstage/monitor/get | awk '{print $2}')
check "[ '$r' = -4.5000 ]" "B: restored master: '$r'"
# A parameter that changes a channel's latency (the tube models' quality) must reach the DAW too.
latq() { echo $(($("$H" latency "$SRV" gainstage:out_2) - $("$H" latency "$SRV" gainstage:in_2))); }
lq0=$("$GS" process --force --preset tube --no-compensate "$T/tone.wav" "$T/lat.wav" 2>&1 | sed -n 's/.*latency \([0-9]*\) samples.*/\1/p')
lq1=$("$GS" process --force --preset tube --set quality=high --no-compensate "$T/tone.wav" "$T/lat.wav" 2>&1 | sed -n 's/.*latency \([0-9]*\) samples.*/\1/p')
osc /gainstage/ch/2/preset s:tube >/dev/null
check "waitfor '[ \$(latq) = $lq0 ]' 30" "B: preset tube: out_2 lags in_2 by $(latq), want $lq0"
r=$(osc /gainstage/ch/2/param s:quality s:high)
check "[ '$r' = '/gainstage/ok /gainstage/ch/2/param' ]" "B: quality reply '$r'"
check "waitfor '[ \$(latq) = $lq1 ]' 30" "B: quality high: out_2 lags in_2 by $(latq), want $lq1"
echo "B: ch 2 preset tube: JACK latency out_2 - in_2 $lq0, then quality high: $(latq) (want $lq1)"
check "waitfor 'near \$(meter1) $(awk -v w="$want" 'BEGIN { print w + 15 }') 0.1' 30" "B: restored gain not in effect: $(meter1)"
osc /gainstage/quit >/dev/null
reaped "$G" 30
check "[ $st -eq 0 ]" "B: /gainstage/quit status $st"
reaped "$F" 30 || bad "B: feeder did not notice the client leaving"

# --- C. kill -9 while recording -----------------------------------------------------------
"$GS" live --server "$SRV" --inputs 2 --record "$T/recC" --record-point pre --osc-port off \
    --status-interval 0.1 >"$T/C.out" 2>&1 &
G=$!
PIDS="$PIDS $G"
check "waitfor \"grep -q 'live: recording' '$T/C.out'\" 30" "C: recording did not start"
"$H" play "$SRV" gainstage:in_ --loop --timeout 120 "$T/s2.wav" "$T/s3.wav" >"$T/playC.out" &
F=$!
PIDS="$PIDS $F"
check "waitfor \"grep -Eq 'rec ([2-9]|[1-9][0-9])\.[0-9] s' '$T/C.out'\" 60" "C: recording did not reach 2 s"
kill -9 "$G"
reaped "$F" 30 || bad "C: the feeder did not see the client die"
take=$(ls "$T"/recC/*.take | head -1)
tstart=$(sed -n 's/^start_frame = //p' "$take")
start=$(sed -n 's/^start_frame=//p' "$T/playC.out")
disc=$(sed -n 's/^disconnected_frame=//p' "$T/playC.out")
f1=$(ls "$T"/recC/*-ch01.wav)
asis=$(field "$f1" frames)
check "[ -n '$asis' ] && [ '$asis' -gt 0 ]" "C: the killed file does not open as it is"
"$GS" recover "$T/recC" >"$T/recover.out" 2>&1
check "[ $? -eq 0 ]" "C: recover failed: $(cat "$T/recover.out")"
cat "$T/recover.out"
fixed=$(field "$f1" frames)
f2=$(ls "$T"/recC/*-ch02.wav)
check "[ '$(field "$f2" frames)' = '$fixed' ]" "C: channels differ in length after recover"
span=$((disc - tstart))
lost_asis=$(awk -v s="$span" -v f="$asis" 'BEGIN { printf "%.1f", (s - f) * 1000 / 48000 }')
lost=$(awk -v s="$span" -v f="$fixed" 'BEGIN { printf "%.1f", (s - f) * 1000 / 48000 }')
echo "C: kill -9 after $(awk -v s="$span" 'BEGIN { printf "%.2f", s / 48000 }') s of recording: audio lost $lost_asis ms as the file was left, $lost ms after 'gainstage recover' (upper bounds: counted up to the end of the period in progress when the server reported the client gone)"
check "[ $((span - asis)) -le 48000 ] && [ $((span - fixed)) -le 48000 ] && [ $fixed -ge $asis ]" "C: more than 1 s lost: $lost_asis / $lost ms"
check "[ $fixed -le $span ]" "C: the file holds more than was played ($fixed > $span frames)"
knownC=$(sed -n 's/^feed_known_until=//p' "$T/playC.out")
[ -n "$knownC" ] && echo "C: the feeder ran late or saw an xrun: the feed is compared up to frame $knownC"
"$H" expect "$f1" "$take" "$start" "$T/s2.wav" "$T/inC.wav" --loop --until "$knownC" >/dev/null
"$H" strip "$f1" "$take" "$T/gotC.wav" >/dev/null
r=$("$H" compare "$T/inC.wav" "$T/gotC.wav")
check "[ $? -eq 0 ]" "C: recovered pre-preamp audio differs from the feed: $r"
echo "C: recovered channel 1 vs the feed: $r"
"$GS" recover "$T/recC" >"$T/recover2.out" 2>&1
check "grep -q 'nothing to recover' '$T/recover2.out'" "C: second recover: $(cat "$T/recover2.out")"
check "grep -q 'status = recovered' '$take'" "C: sidecar not marked recovered"

# --- D. full disk, then the server goes away ------------------------------------------------
mkdir "$T/full"
if mount -t tmpfs -o size=300k tmpfs "$T/full" 2>/dev/null; then
    MNT="$T/full"
    limit=""
    want_err="No space left on device"
else
    limit="ulimit -f 600;" # 600 blocks of 512 bytes
    want_err="File too large"
fi
sh -c "$limit exec \"\$0\" \"\$@\"" "$GS" live --server "$SRV" --inputs 4 --record "$T/full" \
    --osc-port off --status-interval 0.1 >"$T/D.out" 2>&1 &
G=$!
PIDS="$PIDS $G"
check "waitfor \"grep -q 'recording stopped' '$T/D.out'\" 60" "D: full disk not reported: $(cat "$T/D.out")"
grep "recording stopped" "$T/D.out"
check "grep -q 'recording stopped.*$want_err.*monitoring continues' '$T/D.out'" "D: message: $(grep stopped "$T/D.out")"
# Still running: a status line after the message, and the client alive.
check "waitfor \"sed -n '/recording stopped/,\\\$p' '$T/D.out' | grep -q 'live: 48000 Hz'\" 30" "D: no status after the disk filled"
check "kill -0 $G" "D: the client died with the disk"
f=$(ls "$T"/full/*-ch01.wav | head -1)
check "[ \$(field '$f' frames) -gt 0 ]" "D: the file of the full disk is not readable"
kill -TERM "$JPID"
reaped "$JPID" 30 || bad "D: jackd did not stop"
JPID=""
reaped "$G" 30
check "[ $st -eq 1 ]" "D: after the server stopped, status $st (want 1): $(cat "$T/D.out")"
check "grep -q 'JACK server went away' '$T/D.out'" "D: no message about the server: $(tail -3 "$T/D.out")"
grep "went away" "$T/D.out"
# --- E. the terminal view, through a pseudo-terminal (util-linux script) ----------------------
# Keys: select channel 2, mute it, one dB more gain; then quit. The view must show them and the
# terminal must be restored (cursor shown again) on exit.
if command -v script >/dev/null 2>&1; then
    start_jack 256
    mkfifo "$T/keys"
    script -qfec "\"$GS\" live --server $SRV --inputs 2 --osc-port off" /dev/null \
        <"$T/keys" >"$T/E.out" 2>&1 &
    G=$!
    PIDS="$PIDS $G"
    exec 7>"$T/keys"
    check "waitfor \"grep -q 'keys: 1-9' '$T/E.out'\" 30" "E: no terminal view: $(tail -c 300 "$T/E.out")"
    printf '2m+' >&7
    check "waitfor \"tail -c 2000 '$T/E.out' | grep -q '> 2 clean *gain  31.0 dB.*M'\" 30" "E: keys had no effect: $(tail -c 600 "$T/E.out" | tr '\033' '~')"
    # The monitor master: two steps up, three down.
    printf '>><<<' >&7
    check "waitfor \"tail -c 2000 '$T/E.out' | grep -q 'monitor *master  -1.0 dB'\" 30" "E: master keys: $(tail -c 600 "$T/E.out" | tr '\033' '~')"
    printf 'q' >&7
    reaped "$G" 30
    check "[ $st -eq 0 ]" "E: q should exit with 0, got $st"
    check "tail -c 200 '$T/E.out' | grep -q \"$(printf '\033')\[?25h\"" "E: cursor not restored"
    exec 7>&-
    kill -TERM "$JPID"
    reaped "$JPID" 30
    JPID=""
else
    bad "E: util-linux 'script' is missing (Debian package bsdutils)"
fi
# --- F. hostile OSC messages and session files (issue 18: findings 1-4 and 7) --------------------
start_jack 256
mkdir -p "$T/F/presets"
printf 'model = hunter2-secret\n' >"$T/F/secret"
printf 'model = ss-preamp\ngain = 50\n' >"$T/F/presets/mine.preset"
printf 'model = ss-preamp\ngain = 35\n' >"$T/F/sess.preset"
printf 'description = leak\nmodel = hunter2-secret\n' >"$T/F/presets/bad.preset"
ln -s ../secret "$T/F/presets/link.preset"
mkfifo "$T/F/presets/fifo.preset"
"$GS" live --server "$SRV" --inputs 2 --session "$T/F/s.session" --preset-dir "$T/F/presets" \
    --osc-port auto --status-interval 0.5 >"$T/F.out" 2>&1 &
G=$!
PIDS="$PIDS $G"
check "waitfor \"grep -q 'OSC on' '$T/F.out'\" 30" "F: no OSC port: $(cat "$T/F.out")"
PORT=$(sed -n 's|.*OSC on osc.udp://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/F.out")
for a in /gainstage/ch/4294967297/gain "/gainstage/ch/+1/gain" "/gainstage/ch/ 1/gain" /gainstage/ch/01/gain; do
    r=$(osc "$a" f:40)
    check "echo '$r' | grep -q '^/gainstage/error'" "F: '$a' accepted: '$r'"
done
r=$(osc /gainstage/ch/1/gain T)
check "echo '$r' | grep -q '^/gainstage/error'" "F: T as a gain: '$r'"
for m in mute solo; do
    for v in f:nan f:inf f:2 s:yes; do
        r=$(osc /gainstage/ch/1/$m $v)
        check "echo '$r' | grep -q '^/gainstage/error'" "F: $m $v accepted: '$r'"
    done
done
r=$(osc /gainstage/record f:nan)
check "echo '$r' | grep -q '^/gainstage/error'" "F: record NaN accepted: '$r'"
r=$(osc /gainstage/ch/1/get)
check "[ '$r' = '/gainstage/ch/1/get clean 30.0000 0.0000 0.0000 0 0' ]" "F: ch 1 changed by refused messages: '$r'"
r=$(osc /gainstage/ch/2/mute s:true)
check "[ '$r' = '/gainstage/ok /gainstage/ch/2/mute' ]" "F: mute 'true': '$r'"
r=$(osc /gainstage/ch/2/mute F)
check "[ '$r' = '/gainstage/ok /gainstage/ch/2/mute' ]" "F: mute F: '$r'"
for n in ../secret "$T/F/secret" ../../../../etc/shadow link bad; do
    r=$(osc /gainstage/ch/2/preset "s:$n")
    check "echo '$r' | grep -q '^/gainstage/error' && ! echo '$r' | grep -q hunter2" "F: preset '$n': '$r'"
done
r=$(osc /gainstage/ch/2/preset s:bad)
echo "$r" | grep -q "preset 'bad' is not a valid preset file (line 2)\$" && ok || bad "F: bad preset file: $r"
for n in fifo "$T/F/presets/fifo.preset"; do
    r=$(osc /gainstage/ch/2/preset "s:$n")
    check "echo '$r' | grep -q '^/gainstage/error'" "F: FIFO preset '$n': '$r'"
done
r=$(osc /gainstage/ch/2/get)
check "echo '$r' | grep -q '^/gainstage/ch/2/get clean'" "F: the OSC thread is stuck after the FIFO: '$r'"
r=$(osc /gainstage/ch/2/preset "s:$(printf 'x\nout_dbu = -1000')")
check "echo '$r' | grep -q '^/gainstage/error'" "F: a preset name with a newline: '$r'"
r=$(osc /gainstage/ch/2/preset s:mine)
check "[ '$r' = '/gainstage/ok /gainstage/ch/2/preset' ]" "F: preset from --preset-dir: '$r'"
r=$("$H" flood "$PORT" 10000)
check "[ $? -eq 0 ]" "F: flood: messages neither answered nor counted as dropped: $r"
echo "F: $r"
r=$(osc /gainstage/status)
check "echo '$r' | grep -q 'osc received [0-9]* answered [0-9]* dropped [0-9]*'" "F: status '$r'"
osc /gainstage/quit >/dev/null
reaped "$G" 30
check "[ $st -eq 0 ]" "F: quit status $st"
check "grep -q '^ch.2.preset = mine$' '$T/F/s.session' && ! grep -q 'out_dbu = -1000' '$T/F/s.session'" "F: session: $(cat "$T/F/s.session")"
# A preset of the session's own folder is restored; the session's values pass the checks.
sed -e 's/^ch.1.preset = .*/ch.1.preset = sess/' -e '/^ch.1.param/d' "$T/F/s.session" >"$T/F/s2.session"
"$GS" live --server "$SRV" --session "$T/F/s2.session" --preset-dir "$T/F/presets" \
    --osc-port auto --status-interval 0.5 >"$T/F2.out" 2>&1 &
G=$!
PIDS="$PIDS $G"
check "waitfor \"grep -q 'OSC on' '$T/F2.out'\" 30" "F: restart: $(cat "$T/F2.out")"
PORT=$(sed -n 's|.*OSC on osc.udp://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/F2.out")
r1=$(osc /gainstage/ch/1/get)
r2=$(osc /gainstage/ch/2/get)
check "[ '$r1' = '/gainstage/ch/1/get sess 35.0000 0.0000 0.0000 0 0' ] && [ '$r2' = '/gainstage/ch/2/get mine 50.0000 0.0000 0.0000 0 0' ]" "F: restored '$r1' '$r2'"
osc /gainstage/quit >/dev/null
reaped "$G" 30
for bad in 'out_dbu = -1000' 'in_dbu = nan' 'ch.1.mute = 2' 'ch.1.level = inf' 'ch.4294967297.level = 0'; do
    printf 'inputs = 2\n%s\n' "$bad" >"$T/F/bad.session"
    key=${bad%% *}
    "$GS" live --server "$SRV" --session "$T/F/bad.session" --osc-port off --duration 5 >"$T/F3.out" 2>"$T/F3.err"
    st=$?
    check "[ $st -ne 0 ] && grep -q \"line 2: $key\" '$T/F3.err' && [ \$(wc -l <'$T/F3.err') -eq 1 ]" "F: session '$bad': status $st, $(cat "$T/F3.err")"
done
printf 'inputs = 2\nch.1.preset = ../secret\n' >"$T/F/bad.session"
"$GS" live --server "$SRV" --session "$T/F/bad.session" --osc-port off --duration 5 >"$T/F3.out" 2>"$T/F3.err"
st=$?
check "[ $st -ne 0 ] && ! grep -q hunter2 '$T/F3.err'" "F: session preset ../secret: status $st, $(cat "$T/F3.err")"
kill -TERM "$JPID"
reaped "$JPID" 30
JPID=""
end_test
