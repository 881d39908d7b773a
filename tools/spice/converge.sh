#!/bin/sh
# converge.sh: numerical convergence of the ngspice references.
#
# For a 1 s exponential sweep at 48 kHz through the op-amp stage at 20 dB and
# 40 dB gain (output ~5 V peak), makes the reference with the default settings
# (trap, TMAX = T/64) and again with method=gear and with TMAX halved, and
# prints the ESRs between them.  Exits non-zero if any ESR is above 1e-8.
# Also prints the ESR against the analytic response if opamp_theory was built.
#
#   tools/spice/converge.sh            (env: SECONDS_=1.0, LIMIT=1e-8, EXTRA="mkref opts")
set -eu

here=$(cd "$(dirname "$0")" && pwd)
bin="$here/work/bin"
sh "$here/regen.sh" --build-only
dir="$here/work/converge"
mkdir -p "$dir"
secs=${SECONDS_:-1.0}
limit=${LIMIT:-1e-8}
extra=${EXTRA:-}
status=0

check() { # label esr-output
    v=${2%% *}
    if awk -v a="$v" -v b="$limit" 'BEGIN { exit !(a + 0 <= b + 0) }'; then
        echo "  $1: ESR $2  ok"
    else
        echo "  $1: ESR $2  ABOVE $limit"
        status=1
    fi
}

for case in "20 0.5" "40 0.05"; do
    # shellcheck disable=SC2086
    set -- $case
    gain=$1 peak=$2
    sig="$dir/sweep_g$gain.wav"
    "$bin/mksignals" sweep "$sig" --rate 48000 --seconds "$secs" --peak "$peak"
    echo "gain $gain dB, sweep ${secs} s at 48 kHz, ${peak} V peak in:"
    # the three runs in parallel (ngspice is single-threaded)
    for v in "base:" "gear:--method gear" "half:--tmax-div 128"; do
        tag=${v%%:*} opts=${v#*:}
        # shellcheck disable=SC2086
        ( "$bin/mkref" --netlist "$here/opamp_stage.cir" --set gain="$gain" --in "$sig" \
            --out "$dir/ref_g${gain}_$tag.wav" $opts $extra 2> "$dir/log_g${gain}_$tag.txt"
          echo $? > "$dir/rc_g${gain}_$tag" ) &
    done
    wait
    for tag in base gear half; do
        log="$dir/log_g${gain}_$tag.txt"
        [ "$(cat "$dir/rc_g${gain}_$tag")" = 0 ] || { cat "$log" >&2; exit 1; }
        echo "  $tag ($(grep -o 'method=[a-z]* tmax=T/[0-9]*' "$log")): $(grep -o 'ngspice [0-9.]* s CPU, [0-9.]* s wall ([0-9]* time points' "$log"))"
    done
    check "trap vs gear      " "$("$bin/esr" "$dir/ref_g${gain}_base.wav" "$dir/ref_g${gain}_gear.wav")"
    check "TMAX T/64 vs T/128" "$("$bin/esr" "$dir/ref_g${gain}_base.wav" "$dir/ref_g${gain}_half.wav")"
    if [ -x "$bin/opamp_theory" ]; then
        echo "  $("$bin/opamp_theory" "$dir/ref_g${gain}_base.wav" --gain "$gain" | sed 's/.*: //')"
    fi
done
[ $status = 0 ] && echo "converge: all ESRs <= $limit" || echo "converge: FAILED"
exit $status
