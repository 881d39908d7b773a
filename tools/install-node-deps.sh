#!/bin/sh
# What the browser tests (measure/tests/report_browser.sh, live/tests/web_browser.sh) need beyond Debian's
# chromium: node and npm, and playwright-core at the version pinned in tools/browser/ installed
# into BUILD/browser (never the repository: no node_modules in the tree). playwright-core drives
# /usr/bin/chromium; it downloads no browser (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD).
# usage: install-node-deps.sh BUILD
set -eu
BUILD=${1:?usage: install-node-deps.sh BUILD}
here=$(cd "$(dirname "$0")" && pwd)
# node from another source (nodesource) provides npm and conflicts with Debian's npm package:
# Debian's two are installed only where there is no npm at all (a fresh Debian 12).
if ! command -v npm >/dev/null 2>&1; then
    sh "$here/install-deps.sh" nodejs npm
fi
dest=$BUILD/browser
mkdir -p "$dest"
# npm ci installs exactly the lock file; skipped when that lock is what is already installed.
if cmp -s "$here/browser/package-lock.json" "$dest/package-lock.json" &&
    [ -f "$dest/node_modules/playwright-core/package.json" ]; then
    exit 0
fi
cp "$here/browser/package.json" "$here/browser/package-lock.json" "$dest/"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$dest" --no-audit --no-fund --ignore-scripts
