#!/usr/bin/env bash
# Installs what some tests need beyond the JDK and Maven: Chromium, for the run report's rendering test
# (RunReportChromiumTest, skipped without it). Idempotent and quiet; never fails the build: where apt is
# missing or the install fails it prints a warning and the test is skipped.
set -u

chromium=/usr/bin/chromium

warn() {
    echo "install-test-deps: warning: $*; RunReportChromiumTest will be skipped" >&2
}

if [[ -x "$chromium" ]]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    warn "Cannot install Chromium: apt-get is not available"
    exit 0
fi
sudo=""
if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo="sudo -n"
    else
        warn "Cannot install Chromium: not root and no passwordless sudo"
        exit 0
    fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get update -qq >/dev/null 2>&1; then
    warn "Cannot install Chromium: apt-get update failed"
    exit 0
fi
if ! $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then
    warn "Cannot install Chromium: apt-get install chromium failed"
    exit 0
fi
echo "install-test-deps: installed $($chromium --version 2>/dev/null | head -n 1)"
