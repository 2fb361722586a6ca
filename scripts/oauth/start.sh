#!/usr/bin/env bash
# Starts the test OpenID provider (oidc-provider) on 127.0.0.1 in the background and appends its settings to ENVFILE:
#   CONNECTLINKS_TEST_OIDC_URL, CONNECTLINKS_TEST_OIDC_CLIENT_ID/SECRET (+ _ROTATING_ and _POST_ clients).
# Idempotent and quiet: a provider already running from this checkout is reused. Port: CONNECTLINKS_TEST_OIDC_PORT (54480).
set -euo pipefail
envfile=${1:?usage: start.sh ENVFILE}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
state="$root/.tmp/oidc-provider"
port=${CONNECTLINKS_TEST_OIDC_PORT:-54480}
url="http://127.0.0.1:$port"

"$here/install.sh" >/dev/null </dev/null

ready() { curl -fsS -m 2 "$url/.well-known/openid-configuration" >/dev/null 2>&1; }

if ! { [ -f "$state/provider.pid" ] && kill -0 "$(cat "$state/provider.pid")" 2>/dev/null && ready; }; then
  rm -f "$state/provider.pid"
  cp "$here/provider.mjs" "$state/provider.mjs"
  # `cd` is its own statement so that `&` backgrounds node alone and $! is node's pid (what stop.sh kills).
  (cd "$state" || exit 1; nohup node provider.mjs "$port" </dev/null >"$state/provider.log" 2>&1 & echo $! >"$state/provider.pid")
  for _ in $(seq 1 100); do ready && break; sleep 0.1; done
  ready || { echo "oidc-provider did not start on $url; see $state/provider.log" >&2; tail -20 "$state/provider.log" >&2; exit 1; }
fi

cat >>"$envfile" <<ENV
export CONNECTLINKS_TEST_OIDC_URL='$url'
export CONNECTLINKS_TEST_OIDC_CLIENT_ID='connectlinks-test'
export CONNECTLINKS_TEST_OIDC_CLIENT_SECRET='test-secret-0b6f1c2e9a4d'
export CONNECTLINKS_TEST_OIDC_ROTATING_CLIENT_ID='connectlinks-rotating'
export CONNECTLINKS_TEST_OIDC_ROTATING_CLIENT_SECRET='rotating-secret-5e8a7d3c1f20'
export CONNECTLINKS_TEST_OIDC_POST_CLIENT_ID='connectlinks-post'
export CONNECTLINKS_TEST_OIDC_POST_CLIENT_SECRET='post-secret-9c4e2a7b6d13'
ENV
