#!/bin/sh
# regen.sh: build the reference tools and regenerate the references in
# tests/ref/MANIFEST (all of them, or only the NAMEs given).
#
#   tools/spice/regen.sh [--build-only] [--jobs N] [NAME ...]
#
# MANIFEST: one case per line, '#' comments:
#   NAME MODEL RATE SIGNAL PEAK_V [key=value ...]
# MODEL opamp-stage uses tools/spice/opamp_stage.cir, tube-stage tools/spice/tube_stage.cir.
# key=value pairs are
# netlist parameters (mkref --set), except these reserved keys:
#   seconds=S (signal length, default 1.0)   fade=MS (mksignals --fade)
#   os=N  method=trap|gear  tmax_div=N  reltol=X  bp=up|sample   (mkref options)
#   bl=K (mkref --out-os K: read at K x the rate, low-passed and decimated: band-limited)
# Output: tests/ref/NAME.wav (stereo float: ch1 input volts, ch2 output volts; env REGEN_OUT=DIR
# writes DIR/NAME.wav instead, for converge-stage.sh).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin="$here/work/bin"
manifest="$root/tests/ref/MANIFEST"

build() {
    mkdir -p "$bin"
    cflags="-std=c11 -O2 -Wall -Wextra -Wpedantic -Wshadow -Wconversion"
    snd=$(pkg-config --cflags --libs sndfile) || { echo "regen: libsndfile (pkg-config sndfile) not found" >&2; exit 1; }
    for t in mkref mksignals esr; do
        # shellcheck disable=SC2086
        ${CC:-cc} $cflags -o "$bin/$t" "$here/$t.c" $snd -lm
    done
    if fftw=$(pkg-config --cflags --libs fftw3 2>/dev/null); then
        # shellcheck disable=SC2086
        ${CC:-cc} $cflags -o "$bin/opamp_theory" "$here/opamp_theory.c" $snd $fftw -lm
    fi
}

# one case: the fields of a MANIFEST line
one() {
    name=$1 model=$2 rate=$3 signal=$4 peak=$5
    shift 5
    case $model in
        opamp-stage) netlist="$here/opamp_stage.cir" ;;
        tube-stage) netlist="$here/tube_stage.cir" ;;
        bjt-stage) netlist="$here/bjt_stage.cir" ;;
        *) echo "regen: $name: unknown model '$model'" >&2; return 1 ;;
    esac
    seconds=1.0
    sigopts="" refopts=""
    for kv in "$@"; do
        k=${kv%%=*} v=${kv#*=}
        case $k in
            seconds) seconds=$v ;;
            fade) sigopts="$sigopts --fade $v" ;;
            os) refopts="$refopts --os $v" ;;
            method) refopts="$refopts --method $v" ;;
            tmax_div) refopts="$refopts --tmax-div $v" ;;
            reltol) refopts="$refopts --reltol $v" ;;
            bp) refopts="$refopts --bp $v" ;;
            bl) refopts="$refopts --out-os $v" ;;
            *) refopts="$refopts --set $kv" ;;
        esac
    done
    in="$here/work/in_$name.wav"
    # shellcheck disable=SC2086
    "$bin/mksignals" "$signal" "$in" --rate "$rate" --seconds "$seconds" --peak "$peak" $sigopts
    out="${REGEN_OUT:-$root/tests/ref}/$name.wav"
    t0=$(date +%s)
    # shellcheck disable=SC2086
    if ! "$bin/mkref" --netlist "$netlist" $refopts --in "$in" --out "$out" \
        2> "$here/work/mkref_$name.log"; then
        cat "$here/work/mkref_$name.log" >&2
        echo "regen: $name FAILED" >&2
        return 1
    fi
    t1=$(date +%s)
    sim=$(sed -n "s/.*ngspice \([0-9.]*\) s CPU.*/\1/p" "$here/work/mkref_$name.log")
    echo "regen: $name done (ngspice ${sim} s CPU, $((t1 - t0)) s wall)"
    rm -f "$in"
}

if [ "${1-}" = "--one" ]; then
    shift
    # shellcheck disable=SC2086
    one $1
    exit $?
fi

jobs=2
build_only=0
while [ $# -gt 0 ]; do
    case $1 in
        --build-only) build_only=1; shift ;;
        --jobs) jobs=$2; shift 2 ;;
        -*) echo "usage: regen.sh [--build-only] [--jobs N] [NAME ...]" >&2; exit 2 ;;
        *) break ;;
    esac
done

build
[ $build_only = 1 ] && exit 0
command -v "${NGSPICE:-ngspice}" > /dev/null || { echo "regen: ngspice not found" >&2; exit 1; }
[ -f "$manifest" ] || { echo "regen: no $manifest" >&2; exit 1; }

list="$here/work/cases.txt"
if [ $# -gt 0 ]; then
    : > "$list"
    for n in "$@"; do
        grep -E "^[[:space:]]*${n}[[:space:]]" "$manifest" >> "$list" || { echo "regen: no case $n" >&2; exit 1; }
    done
else
    grep -vE '^[[:space:]]*(#|$)' "$manifest" > "$list"
fi

t0=$(date +%s)
# each line is run as: regen.sh --one "LINE" (fields are plain words)
if ! tr '\n' '\0' < "$list" | xargs -0 -n 1 -P "$jobs" sh "$here/regen.sh" --one; then
    echo "regen: some cases FAILED" >&2
    exit 1
fi
t1=$(date +%s)
bytes=$(grep -vE '^[[:space:]]*(#|$)' "$manifest" | while read -r n _; do
    [ -f "$root/tests/ref/$n.wav" ] && wc -c < "$root/tests/ref/$n.wav"; done | awk '{ s += $1 } END { print s + 0 }')
echo "regen: $(wc -l < "$list") case(s) in $((t1 - t0)) s; the MANIFEST's references total $bytes bytes"
