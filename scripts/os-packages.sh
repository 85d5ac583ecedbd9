#!/usr/bin/env bash
# Install the Debian packages the test suite drives for real (Dovecot for IMAP tests, Chromium
# for the Playwright browser tests), when missing; with arguments, just those packages (`wrk`
# for the benchmarks). Root installs directly, otherwise through passwordless sudo; else one
# clear line.
set -euo pipefail

need=()
if [ $# -gt 0 ]; then
    # Named packages whose command has the same name (e.g. `wrk` for the benchmarks) only.
    for package in "$@"; do command -v "$package" >/dev/null 2>&1 || need+=("$package"); done
else
    [ -x /usr/sbin/dovecot ] || command -v dovecot >/dev/null 2>&1 || need+=(dovecot-imapd)
    [ -x /usr/bin/chromium ] || need+=(chromium)
fi

[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then
    run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    run=(sudo)
else
    echo "Missing OS packages for the test suite: ${need[*]}. Install them: sudo apt-get install ${need[*]}" >&2
    exit 1
fi
echo "Installing OS packages: ${need[*]}"
"${run[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${run[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
