# The preamble every shell test shares (tests/cli.sh, tests/cli_autogain.sh,
# measure/tests/measure.sh, live/tests/live.sh, lv2/tests/hosts.sh). Source it, do not run it:
#   . "$(dirname "$0")/lib.sh"              (from tests/)
#   . "$(dirname "$0")/../../tests/lib.sh"  (from measure/tests, live/tests, lv2/tests)
#
# It gives:
#   $T              a private temporary folder, removed at exit (kept, and named, if GS_KEEP_TMP
#                   is set); a script with more to undo defines test_cleanup, run first
#   ok [WHAT]       count a pass (and print "ok: WHAT" when given one)
#   bad WHAT        count a failure and print "FAIL: WHAT" on stderr
#   near A B TOL    |A - B| <= TOL, decimal numbers
#   field FILE KEY  the KEY=value field of '$WAV info FILE' (the script sets WAV)
#   finish [LABEL]  print "[LABEL: ]N passed, N failed" and exit 0 only if nothing failed
set -u

T=$(mktemp -d "${TMPDIR:-/tmp}/gs-$(basename "$0" .sh).XXXXXX")
pass=0
fail=0

_lib_cleanup() {
    if command -v test_cleanup >/dev/null 2>&1; then test_cleanup; fi
    if [ -n "${GS_KEEP_TMP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap _lib_cleanup EXIT
# A signal ends the script through exit, so the EXIT trap cleans up then too.
trap 'exit 1' INT TERM HUP

ok() {
    pass=$((pass + 1))
    if [ $# -gt 0 ]; then echo "ok: $*"; fi
}
bad() {
    fail=$((fail + 1))
    echo "FAIL: $*" >&2
}
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }
field() { "$WAV" info "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
finish() {
    echo "${1:+$1: }$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit $?
}
