#!/usr/bin/env bash
# Installs the official standardwebhooks verifier into an ignored folder (.tmp/webhooks-verifier at the repository
# root) so the webhook tests can check real deliveries with it. Safe to run again: npm skips what is installed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="$root/.tmp/webhooks-verifier"
mkdir -p "$target"
cp "$here/package.json" "$target/package.json"
cd "$target"
npm install --no-audit --no-fund --loglevel=error
node -e "import('standardwebhooks').then(() => console.log('standardwebhooks installed in $target'))"
