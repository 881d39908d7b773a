#!/bin/sh
# make fuzz: every target in tests/fuzz/ built with clang's libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer, and run for SECONDS each (default 600), from a copy of its corpus
# (tests/fuzz/corpus/T is only read; new inputs go to build-fuzz/corpus/T). A crash leaves the
# input in build-fuzz/ and fails the run.
#   tools/fuzz.sh [SECONDS] [TARGET...]
set -eu
cd "$(dirname "$0")/.."
secs=${1:-600}
[ $# -gt 0 ] && shift
targets=${*:-$(ls tests/fuzz/fuzz_*.c | sed 's#.*/fuzz_##; s#\.c$##')}
sh tools/install-deps.sh clang libclang-rt-14-dev libebur128-dev
out=build-fuzz
mkdir -p "$out/include/gainstage"
# gainstage/version.h as meson generates it (from meson.build's project version).
ver=$(sed -n "s/^  version : '\([0-9.]*\)',/\1/p" meson.build)
IFS=. read -r vmaj vmin vmic <<EOV
$ver
EOV
sed -e "s/@GS_VERSION@/$ver/; s/@GS_VERSION_MAJOR@/$vmaj/; s/@GS_VERSION_MINOR@/$vmin/" \
    -e "s/@GS_VERSION_MICRO@/$vmic/" include/gainstage/version.h.in >"$out/include/gainstage/version.h"
# The library's sources; the filter-table generator (src/mkldtab.c, a program) is left out, so
# src/ldtab_none.c (no tables: every design is made at run time) stands in for its output.
lib=$(ls src/*.c | grep -v "src/mkldtab.c")
# The live system's readers and OSC dispatch (session, sidecar, osc) need live/'s core (no JACK,
# no liblo) and common/, and libsndfile for the recorder.
live_lib="live/engine.c live/ring.c live/oscmsg.c live/rec.c live/recover.c live/session.c
    live/preset.c live/app.c common/atomic.c"
for t in $targets; do
    echo "fuzz_$t: building"
    case $t in
    session | sidecar | osc) extra="$live_lib -Ilive -Icommon -lsndfile" ;;
    *) extra= ;;
    esac
    # shellcheck disable=SC2086
    clang -std=c11 -O1 -g -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I"$out/include" -Iinclude -Isrc \
        -Itests/fuzz \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -o "$out/fuzz_$t" "tests/fuzz/fuzz_$t.c" $lib $extra -lebur128 -lm -lpthread
    mkdir -p "$out/corpus/$t"
    cp -n tests/fuzz/corpus/"$t"/* "$out/corpus/$t/" 2>/dev/null || true
    echo "fuzz_$t: running for $secs s"
    (cd "$out" && ./"fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "corpus/$t" 2>"fuzz_$t.log") || {
        tail -40 "$out/fuzz_$t.log"
        echo "fuzz_$t: FAILED (log: $out/fuzz_$t.log)"
        exit 1
    }
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$out/fuzz_$t.log" | sed "s/^/fuzz_$t: /"
done
echo "fuzz: all targets ran clean"
