#!/usr/bin/env bash
# Installs oidc-provider into an ignored folder (.tmp/oidc-provider at the repository root) for the OAuth tests.
# Safe to run again: npm skips what is installed. Never commits node_modules.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="$root/.tmp/oidc-provider"
mkdir -p "$target"
cp "$here/package.json" "$target/package.json"
if [ ! -f "$target/node_modules/oidc-provider/package.json" ]; then
  (cd "$target" && npm install --no-audit --no-fund --loglevel=error </dev/null)
fi
