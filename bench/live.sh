#!/bin/sh
# DSP load and xruns of 'gainstage live': the engine alone (bench_live), the machine's own
# scheduling gaps on the test CPU (bench_jitter), then a private
# 'jackd -d dummy' server at 48 kHz with 64-frame periods, first with a reference client that does
# nothing but copy a looping file to an output (the machine's own xruns), then 'gainstage live'
# fed by that looping test client for the same time.
#   sh bench/live.sh [BUILD] [PRESET] [SECONDS] [CHANNELS]   (defaults: build clean 60 16)
# Environment (the defaults are the configuration docs/live.md explains and measured):
#   GS_LIVE_CPU=1         the one CPU that jackd and both clients are pinned to ('' for none)
#   GS_LIVE_POLL=1        keep that CPU out of its idle halt while the test runs (0: don't)
#   GS_LIVE_JACKD="-R"    server options before '-d dummy'
#   GS_LIVE_REF=1         run the reference client first (0: skip it)
#
# Why pin and poll: on a virtual machine an idle virtual CPU halts and gives its physical CPU
# back; the timer or the wake-up of the next period then waits until the host runs that virtual
# CPU again, often more than a 1.33 ms period (see the xruns of the reference client with
# GS_LIVE_POLL=0). The poller is a SCHED_IDLE busy loop: it runs only when nothing else on that CPU
# is runnable, so it takes no time from jackd, the clients or anyone else's work (it is what the
# kernel's idle=poll does); pinning everything to one CPU means one CPU to keep awake, leaves the
# other one to other work, and is the "one core" the load requirement speaks of.
set -eu
B=${1:-build}
P=${2:-clean}
S=${3:-60}
N=${4:-16}
CPU=${GS_LIVE_CPU-1}
POLL=${GS_LIVE_POLL:-1}
JOPTS=${GS_LIVE_JACKD:--R}
REF=${GS_LIVE_REF:-1}
"$B/bench/bench_live" --preset "$P" --seconds 3 1 8 16 32
# The floor: how often the CPU the test runs on is taken away from a spinning real-time thread.
"$B/bench/bench_jitter" 10 "${CPU:-1}"
SRV=gsbench-$$
T=$(mktemp -d)
export JACK_NO_START_SERVER=1 JACK_NO_AUDIO_RESERVATION=1
PIN=""
[ -n "$CPU" ] && PIN="taskset -c $CPU"
J="" POLLER=""
cleanup() {
    [ -n "$J" ] && kill "$J" 2>/dev/null
    [ -n "$POLLER" ] && kill "$POLLER" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
if [ "$POLL" = 1 ]; then
    # shellcheck disable=SC2086
    chrt -i 0 $PIN sh -c 'while :; do :; done' &
    POLLER=$!
fi
# Stale registrations of killed servers would stop jackd from starting.
sh "$(dirname "$0")/../tools/jack-clean-stale.sh"
# shellcheck disable=SC2086
$PIN jackd -n "$SRV" $JOPTS -d dummy -r 48000 -p 64 >"$T/jackd.log" 2>&1 &
J=$!
"$B/tests/live_helper" wait-server "$SRV" 30
"$B/tools/gs-mksig" --rate 48000 --seconds 2 --peak -12 pluck "$T/sig.wav"
echo "server: jackd -n $SRV $JOPTS -d dummy -r 48000 -p 64 ($(sed -n 's/^JACK server starting in //p' "$T/jackd.log"))"
echo "placement: ${PIN:-no pinning}; idle poller: $([ "$POLL" = 1 ] && echo "on" || echo "off")"

steal() { awk '/^cpu /{print $9}' /proc/stat; } # clock ticks (USER_HZ) the host ran others
# Server-side view of the xruns since line $1 of its log: the driver woke up too late, or a
# client had not finished when the next cycle began.
server_xruns() {
    tail -n +"$1" "$T/jackd.log" >"$T/jl"
    printf 'server log: driver late %s, not finished:' "$(grep -c 'JackTimedDriver::Process XRun' "$T/jl" || true)"
    for c in feeder gainstage; do
        printf ' %s %s' "$c" "$(grep -c "client = $c was not finished" "$T/jl" || true)"
    done
    echo
}

if [ "$REF" = 1 ]; then
    l0=$(($(wc -l <"$T/jackd.log") + 1))
    s0=$(steal)
    # shellcheck disable=SC2086
    $PIN "$B/tests/live_helper" play "$SRV" system:playback_ --loop --seconds "$S" \
        --timeout $((S + 60)) "$T/sig.wav" >"$T/ref.out" || true
    echo "reference client (copies a looping file to system:playback_1) for $S s:" \
        "$(grep '^xruns=' "$T/ref.out"), steal $(($(steal) - s0)) ticks"
    server_xruns "$l0"
fi

l0=$(($(wc -l <"$T/jackd.log") + 1))
s0=$(steal)
# shellcheck disable=SC2086
$PIN "$B/gainstage" live --server "$SRV" --inputs "$N" --preset "$P" --osc-port off \
    --duration "$S" --status-interval 10 >"$T/live.out" 2>&1 &
G=$!
i=0
while ! grep -q "^live: client" "$T/live.out" && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
set --
k=1
while [ $k -le "$N" ]; do set -- "$@" "$T/sig.wav"; k=$((k + 1)); done
# shellcheck disable=SC2086
$PIN "$B/tests/live_helper" play "$SRV" gainstage:in_ --loop --timeout $((S + 60)) "$@" \
    >"$T/feed.out" &
F=$!
# The process thread: its scheduling class, and its page faults after the start-up (a fault in
# the real-time thread is an xrun waiting to happen).
sleep 2
RT=$(ps -L -o tid=,cls= -p "$G" | awk '$2 == "FF" || $2 == "RR" {print $1; exit}')
faults() { awk '{print $10 + $12}' "/proc/$G/task/$RT/stat" 2>/dev/null || echo "?"; }
f0=$(faults)
sched=$(chrt -p "$RT" 2>/dev/null | sed -n 's/.*policy: //p;s/.*priority: /priority /p' | tr '\n' ' ')
sleep $((S > 4 ? S - 3 : 1))
f1=$(faults)
wait "$G" || true
wait "$F" || true
echo "gainstage live, $N channels of $P for $S s (process thread $RT: ${sched:-?}):"
grep -E "^live: (client|stopped)" "$T/live.out"
echo "feeder: $(grep '^xruns=' "$T/feed.out" || echo 'xruns=?'); steal $(($(steal) - s0)) ticks;" \
    "page faults of the process thread after the first 2 s: $(
        [ "$f0" != "?" ] && [ "$f1" != "?" ] && echo $((f1 - f0)) || echo '?')"
server_xruns "$l0"
