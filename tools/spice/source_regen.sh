#!/bin/sh
# Regenerate the source-model references tests/ref/source_*.txt with ngspice AC analyses.
#   sh tools/spice/source_regen.sh            (from the repository root; needs ngspice)
# For each line of tools/spice/source_cases.txt, the netlist's .param values are replaced by the
# case's assignments (same symbols as the gainstage "source" block; "meg" for mega, as ngspice
# reads "M" as milli), ngspice runs "ac dec 24 20 20k", and the table written has one line per
# frequency: Hz, magnitude dB, phase degrees. Its header repeats the assignments, which the test
# applies to the model (with "meg" read by gs_parse_value as well).
set -eu
dir=$(dirname "$0")
root=$dir/../..
tmp=${TMPDIR:-/tmp}/gs-spice.$$
mkdir -p "$tmp" "$root/tests/ref"
trap 'rm -rf "$tmp"' EXIT
grep -v '^#' "$dir/source_cases.txt" | while read -r name net sets; do
    [ -n "$name" ] || continue
    cir="$tmp/$name.cir"
    cp "$dir/source_$net.cir" "$cir"
    for a in $sets; do
        sym=${a%%=*}
        val=${a#*=}
        [ "$sym" = source ] && continue
        # Replace "sym=value" on the first .param line only.
        sed -i "0,/^\.param/ s/\([ ]\)$sym=[^ ]*/\1$sym=$val/" "$cir"
        grep -q "^\.param.* $sym=$val" "$cir" || { echo "source_regen: $name: no .param $sym in $net" >&2; exit 1; }
    done
    sed -i "s|OUTFILE|$tmp/$name.raw|" "$cir"
    # ngspice -b exits non-zero when a deck has no .print line: judge it by the data written.
    ngspice -b "$cir" < /dev/null > "$tmp/$name.log" 2>&1 || true
    [ -s "$tmp/$name.raw" ] || { cat "$tmp/$name.log" >&2; exit 1; }
    out="$root/tests/ref/source_$name.txt"
    {
        echo "# source model reference: tools/spice/source_$net.cir, ngspice AC analysis"
        echo "# regenerate: sh tools/spice/source_regen.sh"
        echo "# set: $sets"
        echo "# freq_hz mag_db phase_deg"
        awk '{ printf "%.6e %.9f %.6f\n", $1, $2, $4 }' "$tmp/$name.raw"
    } > "$out"
    echo "source_regen: $out ($(grep -vc '^#' "$out") points)"
done
