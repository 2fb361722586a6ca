#!/usr/bin/env bash
# What the browser tests need besides the connector servers: Debian's Chromium (Playwright's own browser
# download does not work here) and axe-core for accessibility checks. Idempotent; fast when everything is
# installed already.
#   scripts/test-extras.sh start WORKDIR ENVFILE   → appends `export NAME=value` lines to ENVFILE
#   scripts/test-extras.sh stop WORKDIR
# Run as root (apt-get), as CI does.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
cmd=${1:?usage: test-extras.sh start WORKDIR ENVFILE | stop WORKDIR}
work=${2:?usage: test-extras.sh start WORKDIR ENVFILE | stop WORKDIR}

chromium=/usr/bin/chromium
node_dir="$root/.tmp/node"
axe="$node_dir/node_modules/axe-core/axe.min.js"

case "$cmd" in
  start)
    envfile=${3:?usage: test-extras.sh start WORKDIR ENVFILE}
    mkdir -p "$work"
    if [ ! -x "$chromium" ]; then
      echo "installing chromium from Debian packages" >&2
      apt-get update -qq </dev/null >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core </dev/null >/dev/null
    fi
    if [ ! -f "$axe" ]; then
      echo "installing axe-core with npm" >&2
      mkdir -p "$node_dir"
      [ -f "$node_dir/package.json" ] || echo '{ "private": true }' > "$node_dir/package.json"
      npm install --prefix "$node_dir" --no-audit --no-fund --silent axe-core@4 </dev/null >&2
    fi
    [ -x "$chromium" ] || { echo "chromium is still missing after the install" >&2; exit 1; }
    [ -f "$axe" ] || { echo "axe-core is still missing after the install" >&2; exit 1; }
    {
      echo "export CONNECTLINKS_TEST_CHROMIUM=$chromium"
      echo "export CONNECTLINKS_TEST_AXE=$axe"
    } >> "$envfile"
    ;;
  stop)
    # Nothing of ours keeps running (each test starts and ends its own browser).
    ;;
  *) echo "usage: $0 start WORKDIR ENVFILE | stop WORKDIR" >&2; exit 2 ;;
esac
