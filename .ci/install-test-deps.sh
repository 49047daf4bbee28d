#!/usr/bin/env bash
# Installs what the tests need beyond the JDK and Maven, idempotently and quietly:
#  - s3rver (npm, into .ci/node): the local S3-compatible server of the object-store tests (S3FlowTest,
#    AirflowDagIT), which start it themselves on 127.0.0.1. Required: the script fails without it.
#  - python3: the Airflow DAG tests render the DAG's command lines with it. Required.
#  - Chromium: the run report's rendering test (RunReportChromiumTest). Best effort: a warning if it
#    cannot be installed, and that test is skipped.
# HDFS needs nothing here: the tests start an in-process MiniDFSCluster (a Maven test dependency).
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.."

S3RVER_VERSION=3.7.1
chromium=/usr/bin/chromium
sudo=""
if [[ "$(id -u)" != 0 ]] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
apt_updated=false

apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        return 1
    fi
    if [[ "$(id -u)" != 0 && -z "$sudo" ]]; then
        return 1
    fi
    if [[ $apt_updated == false ]]; then
        $sudo apt-get update -qq >/dev/null 2>&1 || return 1
        apt_updated=true
    fi
    $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1
}

fail() {
    echo "install-test-deps: error: $*" >&2
    exit 1
}

# --- s3rver ---
if [[ ! -x .ci/node/node_modules/.bin/s3rver ]] \
        || ! grep -q "\"version\": \"$S3RVER_VERSION\"" .ci/node/node_modules/s3rver/package.json 2>/dev/null; then
    if ! command -v npm >/dev/null 2>&1; then
        apt_install nodejs npm || fail "Cannot install s3rver: npm is missing and apt-get cannot install it"
    fi
    npm install --prefix .ci/node --no-audit --no-fund --silent "s3rver@$S3RVER_VERSION" >/dev/null 2>&1 \
        || fail "Cannot install s3rver: 'npm install --prefix .ci/node s3rver@$S3RVER_VERSION' failed"
    echo "install-test-deps: installed s3rver $S3RVER_VERSION into .ci/node"
fi

# --- python3 ---
if ! command -v python3 >/dev/null 2>&1; then
    apt_install python3 || fail "Cannot install python3 with apt-get"
fi

# --- Chromium (best effort) ---
if [[ ! -x "$chromium" ]]; then
    if apt_install chromium; then
        echo "install-test-deps: installed $($chromium --version 2>/dev/null | head -n 1)"
    else
        echo "install-test-deps: warning: Cannot install Chromium; RunReportChromiumTest will be skipped" >&2
    fi
fi
exit 0
