#!/bin/sh
# Installs the Debian packages CHM needs to build, test and demo, when missing.
# clang and libclang-rt-14-dev build the libFuzzer targets (make fuzz).
# chromium renders chm-report's html in the tests (nodejs runs the checks of
# tests/browser, make browser-deps); prometheus gives promtool.
# man-db, groff-base and bsdextrautils (col) render and check the man pages.
# faketime moves the clock for `make test-future`; python3-aiosmtpd is the
# SMTP server the alert tests send mail to.
set -eu
need="build-essential pkg-config clang libclang-rt-14-dev libpq-dev libjansson-dev libcurl4-openssl-dev libssl-dev postgresql bats jq python3 procps valgrind time systemd chromium nodejs prometheus man-db groff-base bsdextrautils faketime python3-aiosmtpd"
missing=""
for p in $need; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
