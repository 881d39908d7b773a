#!/bin/sh
# The reports as a reader sees them: a single report (clean, its noise model off) and a comparison
# (clean and tube) rendered in headless Chromium, asserting on the page (report_browser.mjs):
# titles in words, every image loaded, no raw key as a heading, one legend entry per device.
# Also that --compare says where it wrote.
# usage: report_browser.sh GAINSTAGE BROWSERDIR   (BROWSERDIR: the build's browser folder, where
#        tools/install-node-deps.sh put playwright-core)
# Installs nothing: what is missing fails the test in one line naming it (make deps installs all).
set -u
GS=$1
# make check runs the sanitizer build's tests with GS_BROWSER_DIR set to the release build's
# folder: the set-up installs playwright-core once, into $(BUILD)/browser.
PW=${GS_BROWSER_DIR:-$2}
. "$(dirname "$0")/../../tests/lib.sh"
need() { bad "$1 (make deps installs it)"; finish report_browser; }
[ -x /usr/bin/chromium ] || need "chromium is not installed: Debian package chromium"
command -v node >/dev/null 2>&1 || need "node is not installed: Debian packages nodejs and npm"
[ -f "$PW/node_modules/playwright-core/package.json" ] ||
    need "playwright-core is not installed in $PW: tools/install-node-deps.sh $(dirname "$PW")"

if "$GS" measure --preset clean --quick -q --out "$T/clean" >"$T/log" 2>&1 &&
    "$GS" measure --preset tube --quick -q --out "$T/tube" >"$T/log" 2>&1; then ok; else bad "measure: $(cat "$T/log")"; fi
if "$GS" measure --compare "$T/clean" "$T/tube" --out "$T/cmp" >"$T/out" 2>"$T/err"; then ok; else bad "compare: $(cat "$T/err")"; fi
[ "$(cat "$T/out")" = "report: $T/cmp/index.html" ] && ok || bad "--compare printed '$(cat "$T/out")', want 'report: $T/cmp/index.html'"
if node "$(dirname "$0")/report_browser.mjs" "$PW" "$T/clean" "$T/cmp" 2 >"$T/log" 2>&1; then
    ok "$(tail -n 1 "$T/log")"
else
    bad "in the browser: $(cat "$T/log")"
fi
finish report_browser
