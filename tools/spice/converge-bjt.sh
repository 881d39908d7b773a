#!/bin/sh
# converge-bjt.sh: numerical convergence of the bjt-stage references (issue 19).
#
# A 1 V peak 1 kHz sine (saturation and cut-off, the hardest case) for SECONDS_ (0.1 s) at
# 48 kHz through tools/spice/bjt_stage.cir, made with the references' settings (trap, TMAX =
# T/64, reltol 1e-7), again with method=gear and with TMAX halved; prints the ESRs between them.
#   tools/spice/converge-bjt.sh            (env: SECONDS_=0.1, LIMIT=1e-6: the clipping limit)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin="$here/work/bin"
sh "$here/regen.sh" --build-only
dir="$here/work/converge-bjt"
mkdir -p "$dir"
secs=${SECONDS_:-0.1}
limit=${LIMIT:-1e-6}
"$bin/mksignals" sine "$dir/in.wav" --rate 48000 --seconds "$secs" --peak 1
for v in "base:" "gear:--method gear" "half:--tmax-div 128"; do
    tag=${v%%:*} opts=${v#*:}
    # shellcheck disable=SC2086
    "$bin/mkref" --netlist "$here/bjt_stage.cir" --reltol 1e-7 --in "$dir/in.wav" \
        --out "$dir/ref_$tag.wav" $opts 2> "$dir/log_$tag.txt" || { cat "$dir/log_$tag.txt" >&2; exit 1; }
done
status=0
for tag in gear half; do
    e=$("$bin/esr" "$dir/ref_base.wav" "$dir/ref_$tag.wav")
    v=${e%% *}
    if awk -v a="$v" -v b="$limit" 'BEGIN { exit !(a + 0 <= b + 0) }'; then r=ok; else r="ABOVE $limit"; status=1; fi
    echo "bjt stage, 1 V 1 kHz sine, trap T/64 vs $tag: ESR $e $r"
done
exit $status
