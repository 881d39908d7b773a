#!/bin/sh
# converge-tube.sh: numerical convergence of the tube-stage references.
#
# A 4 V peak 1 kHz sine (grid conduction and cut-off, the hardest case) for SECONDS_ (0.1 s) at
# 48 kHz through tools/spice/tube_stage.cir, made with the references' settings (trap, TMAX =
# T/64, reltol 1e-6), again with method=gear and with TMAX halved; prints the ESRs between them.
#   tools/spice/converge-tube.sh           (env: SECONDS_=0.1, LIMIT=1e-8)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin="$here/work/bin"
sh "$here/regen.sh" --build-only
dir="$here/work/converge-tube"
mkdir -p "$dir"
secs=${SECONDS_:-0.1}
limit=${LIMIT:-1e-8}
"$bin/mksignals" sine "$dir/in.wav" --rate 48000 --seconds "$secs" --peak 4
for v in "base:" "gear:--method gear" "half:--tmax-div 128"; do
    tag=${v%%:*} opts=${v#*:}
    # shellcheck disable=SC2086
    "$bin/mkref" --netlist "$here/tube_stage.cir" --reltol 1e-6 --in "$dir/in.wav" \
        --out "$dir/ref_$tag.wav" $opts 2> "$dir/log_$tag.txt" || { cat "$dir/log_$tag.txt" >&2; exit 1; }
done
status=0
for tag in gear half; do
    e=$("$bin/esr" "$dir/ref_base.wav" "$dir/ref_$tag.wav")
    v=${e%% *}
    if awk -v a="$v" -v b="$limit" 'BEGIN { exit !(a + 0 <= b + 0) }'; then r=ok; else r="ABOVE $limit"; status=1; fi
    echo "tube stage, 4 V 1 kHz sine, trap T/64 vs $tag: ESR $e $r"
done
exit $status
