#!/bin/sh
# Installs the browser tests' npm packages (tests/browser: playwright-core
# drives the system Chromium, axe-core checks accessibility) exactly as
# package-lock.json pins them, with `npm ci`; does nothing when they are
# there. npm comes with the nodejs package of some archives and is a package
# of its own in Debian's: it is installed only when missing.
set -eu
dir=$(cd "$(dirname "$0")/../tests/browser" && pwd)
if [ -f "$dir/node_modules/.package-lock.json" ] &&
	[ ! "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	echo "browser-deps: installing npm" >&2
	if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
	$SUDO apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >&2
fi
echo "browser-deps: npm ci in tests/browser" >&2
cd "$dir"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error </dev/null >&2
