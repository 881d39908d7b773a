#!/bin/sh
# The shared library exports exactly the functions the public header declares with GS_API: no
# internal symbol leaks (the library is built with hidden visibility), and no declared function
# is missing. Usage: symbols.sh LIBGAINSTAGE.so gainstage.h
set -eu
lib=$1
header=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A declaration starts a line with GS_API, and its name is the identifier before the first '('.
sed -n 's/^GS_API [^(]*[^A-Za-z0-9_(]\([A-Za-z_][A-Za-z0-9_]*\)(.*/\1/p' "$header" | sort -u >"$tmp/declared"
# Every defined dynamic symbol but the loader's own (_init, _fini).
nm -D --defined-only "$lib" | awk '{ print $NF }' | grep -v -x -e _init -e _fini | sort -u >"$tmp/exported"

if [ ! -s "$tmp/declared" ]; then
    echo "no GS_API declarations found in $header" >&2
    exit 1
fi
status=0
extra=$(comm -13 "$tmp/declared" "$tmp/exported")
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
if [ -n "$extra" ]; then
    echo "exported but not in the public header:" >&2
    echo "$extra" | sed 's/^/  /' >&2
    status=1
fi
if [ -n "$missing" ]; then
    echo "declared in the public header but not exported:" >&2
    echo "$missing" | sed 's/^/  /' >&2
    status=1
fi
echo "$(wc -l <"$tmp/exported") exported symbols, $(wc -l <"$tmp/declared") declared"
exit $status
