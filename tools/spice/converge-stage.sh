#!/bin/sh
# converge-stage.sh: numerical convergence of a nonlinear stage's ngspice references.
#
# A 1 kHz sine at the stage's hardest level (tube: 4 V peak, grid conduction and cut-off; bjt:
# 1 V peak, saturation and cut-off) for SECONDS_ (0.1 s) at 48 kHz through the stage's netlist,
# made with the references' settings (trap, TMAX = T/64, the stage's reltol), again with
# method=gear and with TMAX halved; prints the ESRs between them and fails above LIMIT (tube
# 1e-8; bjt 1e-6, the clipping limit of issue 19, where the sharp saturation edge makes the
# simulator's own step matter).
#   tools/spice/converge-stage.sh tube|bjt     (env: SECONDS_=0.1, LIMIT)
#
# With --cases, the stage's MANIFEST cases themselves (every plain one, or the NAMEs given): each
# is made again by regen.sh as the MANIFEST says (base), with method=gear and with tmax_div=128,
# into work/converge-MODEL/; prints the ESRs of gear and half step against base, whether base is
# byte-identical to the committed tests/ref/NAME.wav, and fails above the case's limit: 1e-6 for a
# name holding "_clip" (driven into saturation and cut-off), 1e-8 for every other (issue 19).
#   tools/spice/converge-stage.sh tube|bjt --cases [NAME ...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin="$here/work/bin"

# the --cases mode: $1 the MANIFEST model, then the case names (none: every plain case)
cases() {
    model=$1
    shift
    manifest="$here/../../tests/ref/MANIFEST"
    # shellcheck disable=SC2046 # case names are plain words
    [ $# -gt 0 ] || set -- $(awk -v m="$model" '$1 !~ /^#/ && $2 == m && !/ bl=/ { print $1 }' "$manifest")
    status=0
    for name in "$@"; do
        line=$(grep -E "^${name}[[:space:]]" "$manifest") || { echo "converge: no case $name" >&2; exit 2; }
        for v in "base:" "gear:method=gear" "half:tmax_div=128"; do
            tag=${v%%:*} kv=${v#*:}
            mkdir -p "$dir/$tag"
            REGEN_OUT="$dir/$tag" sh "$here/regen.sh" --one "$line $kv" > /dev/null
        done
        case $name in *_clip*) lim=1e-6 ;; *) lim=1e-8 ;; esac
        same=differs
        cmp -s "$dir/base/$name.wav" "$here/../../tests/ref/$name.wav" && same=identical
        out="$name (committed reference $same):"
        for tag in gear half; do
            e=$("$bin/esr" "$dir/base/$name.wav" "$dir/$tag/$name.wav")
            v=${e%% *}
            if awk -v a="$v" -v b="$lim" 'BEGIN { exit !(a + 0 <= b + 0) }'; then r=ok; else r="ABOVE $lim"; status=1; fi
            out="$out $tag $v $r,"
        done
        echo "${out%,}"
    done
    return $status
}
case "${1:-}" in
tube) net=tube_stage.cir peak=4 reltol=1e-6 deflimit=1e-8 ;;
bjt) net=bjt_stage.cir peak=1 reltol=1e-7 deflimit=1e-6 ;;
*) echo "usage: converge-stage.sh tube|bjt [--cases [NAME ...]]" >&2; exit 2 ;;
esac
sh "$here/regen.sh" --build-only
dir="$here/work/converge-$1"
mkdir -p "$dir"
if [ "${2:-}" = "--cases" ]; then
    m=$1
    shift 2
    cases "$m-stage" "$@"
    exit $?
fi
secs=${SECONDS_:-0.1}
limit=${LIMIT:-$deflimit}
"$bin/mksignals" sine "$dir/in.wav" --rate 48000 --seconds "$secs" --peak "$peak"
for v in "base:" "gear:--method gear" "half:--tmax-div 128"; do
    tag=${v%%:*} opts=${v#*:}
    # shellcheck disable=SC2086
    "$bin/mkref" --netlist "$here/$net" --reltol "$reltol" --in "$dir/in.wav" \
        --out "$dir/ref_$tag.wav" $opts 2> "$dir/log_$tag.txt" || { cat "$dir/log_$tag.txt" >&2; exit 1; }
done
status=0
for tag in gear half; do
    e=$("$bin/esr" "$dir/ref_base.wav" "$dir/ref_$tag.wav")
    v=${e%% *}
    if awk -v a="$v" -v b="$limit" 'BEGIN { exit !(a + 0 <= b + 0) }'; then r=ok; else r="ABOVE $limit"; status=1; fi
    echo "$1 stage, $peak V 1 kHz sine, trap T/64 vs $tag: ESR $e $r"
done
exit $status
