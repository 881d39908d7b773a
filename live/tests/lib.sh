# The helpers live/tests/live.sh and live/tests/web_browser.sh share, over the project's test
# preamble (tests/lib.sh: $T, ok, bad, near, field, finish). Source it, do not run it:
#   . "$(dirname "$0")/lib.sh"
#
# It adds:
#   check CONDITION WHAT    evaluate CONDITION: ok if it holds, else bad WHAT
#   waitfor CONDITION SECS  evaluate CONDITION every 50 ms until it holds (0), or 1 after SECS
. "$(dirname "$0")/../../tests/lib.sh"

check() { if eval "$1"; then ok; else bad "$2"; fi; }

waitfor() {
    _n=0
    while ! eval "$1" >/dev/null 2>&1; do
        _n=$((_n + 1))
        [ $_n -ge $(($2 * 20)) ] && return 1
        sleep 0.05
    done
    return 0
}
