#!/bin/sh
# The browser mixer (gainstage live --web) in Debian's headless Chromium, driven by
# playwright-core (web_browser.mjs): the page loads with one strip per channel, the meters move
# with a test signal, the update rate measured in the browser, a fader and mute change the
# engine's state (read back through OSC), the monitor master's fader too (and the monitor meters
# follow it), a second client sees the changes; and bound to another
# address than loopback, a request without the printed token gets 403 while the token's page
# loads with its own .css and .js (the token's cookie).
# usage: web_browser.sh GAINSTAGE BROWSERDIR   (env: MKSIG, LIVE_HELPER)
# Installs nothing: what is missing fails the test in one line naming it (make deps installs all).
set -u
GS=$1
PW=${GS_BROWSER_DIR:-$2}
H=$LIVE_HELPER
. "$(dirname "$0")/lib.sh" # check, waitfor (over tests/lib.sh)
need() { bad "$1 (make deps installs it)"; finish web_browser; }
[ -x /usr/bin/chromium ] || need "chromium is not installed: Debian package chromium"
command -v node >/dev/null 2>&1 || need "node is not installed: Debian packages nodejs and npm"
command -v jackd >/dev/null 2>&1 || need "jackd is not installed: Debian package jackd2"
[ -f "$PW/node_modules/playwright-core/package.json" ] ||
    need "playwright-core is not installed in $PW: tools/install-node-deps.sh $(dirname "$PW")"

SRV=gsweb-$$
PIDS=""
test_cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }

sh "$(dirname "$0")/../../tools/jack-clean-stale.sh"
jackd -n "$SRV" -d dummy -r 48000 -p 256 >"$T/jackd.log" 2>&1 &
PIDS="$PIDS $!"
"$H" wait-server "$SRV" 30 || { bad "jackd did not start: $(cat "$T/jackd.log")"; finish web_browser; }
"$MKSIG" --rate 48000 --seconds 1 --peak -20 --freq 1000 sine "$T/tone.wav" ||
    { bad "mksig (MKSIG=$MKSIG) failed"; finish web_browser; }

# --- on loopback: no token --------------------------------------------------------------------
"$GS" live --server "$SRV" --inputs 2 --osc-port auto --web 0 --status-interval 60 --record "$T/rec" \
    >"$T/A.out" 2>&1 &
G=$!
PIDS="$PIDS $G"
check "waitfor \"grep -q 'browser mixer on' '$T/A.out' && grep -q 'OSC on' '$T/A.out'\" 30" \
    "no mixer: $(cat "$T/A.out" 2>/dev/null)"
URL=$(sed -n 's|.*browser mixer on \(http://[^ ]*\).*|\1|p' "$T/A.out")
PORT=$(sed -n 's|.*OSC on osc.udp://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/A.out")
"$H" play "$SRV" gainstage:in_ --loop --timeout 120 "$T/tone.wav" "$T/tone.wav" >"$T/play.out" &
PIDS="$PIDS $!"
if node "$(dirname "$0")/web_browser.mjs" "$PW" mixer "$URL" "$H" "$PORT" >"$T/node.out" 2>&1; then
    ok "$(grep '^figures' "$T/node.out")"
else
    bad "in the browser (below)"
fi
cat "$T/node.out"
pass=$((pass + $(grep -c '^ok ' "$T/node.out")))
"$H" osc "$PORT" /gainstage/quit >/dev/null
check "waitfor '! kill -0 $G' 30" "gainstage did not quit"
# The first take's sidecar logs what the page changed (the same control path as OSC).
first=$(ls "$T"/rec/take-*.take 2>/dev/null | head -1)
check "grep -Eq '^param\.[0-9]+ = [0-9.]+ ch\.1\.gain 10\$' '$first' && grep -Eq 'ch\.1\.monitor\.mute 1\$' '$first'" \
    "the page's fader and mute are not in the sidecar: $(grep param "$first" 2>/dev/null)"
check "[ -f '$T/rec/webtake.take' ] && grep -q 'status = complete' '$T/rec/webtake.take' && [ -f '$T/rec/webtake-ch01.wav' ]" \
    "the named take: $(ls "$T/rec")"

# --- on another address: the token ------------------------------------------------------------
"$GS" live --server "$SRV" --name gsweb2 --inputs 1 --osc-port off --web 0.0.0.0:0 \
    --status-interval 60 >"$T/B.out" 2>&1 &
PIDS="$PIDS $!"
check "waitfor \"grep -q 'browser mixer on' '$T/B.out'\" 30" "no mixer on 0.0.0.0: $(cat "$T/B.out" 2>/dev/null)"
URL=$(sed -n 's|.*browser mixer on \(http://[^ ]*\).*|\1|p' "$T/B.out")
check "echo '$URL' | grep -Eq '\?token=[0-9a-f]{32}$'" "no token in '$URL'"
if node "$(dirname "$0")/web_browser.mjs" "$PW" token "$URL" >"$T/node2.out" 2>&1; then ok; else
    bad "token checks (below)"
fi
cat "$T/node2.out"
pass=$((pass + $(grep -c '^ok ' "$T/node2.out")))
finish web_browser
