#!/usr/bin/env bash
# Runs every test on a fresh machine: installs and starts what the tests need (PostgreSQL for storage,
# the connector servers, Node packages, Chromium), builds, runs the suite on SQLite and again on
# PostgreSQL, stops what it started, and prints a last line `tests: N passed, N failed, N skipped`.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d /tmp/connectlinks-test.XXXXXX)
chmod 755 "$work"
envfile="$work/servers.env"
: > "$envfile"
passed=0 failed=0 skipped=0 broken=0

cleanup() {
  scripts/servers/stop.sh >/dev/null 2>&1 || true
  scripts/oauth/stop.sh >/dev/null 2>&1 || true
  scripts/postgres.sh stop "$work/pg" >/dev/null 2>&1 || true
  [ -x scripts/test-extras.sh ] && scripts/test-extras.sh stop "$work" >/dev/null 2>&1 || true
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

step "starting servers"
scripts/servers/start.sh "$envfile" || { echo "could not start the connector servers"; broken=1; }
storage=$(scripts/postgres.sh start "$work/pg" "${CONNECTLINKS_TEST_STORAGE_PG_PORT:-55431}") || { echo "could not start PostgreSQL"; broken=1; }
echo "export CONNECTLINKS_TEST_POSTGRES='$storage'" >> "$envfile"
scripts/webhooks/install.sh >/dev/null || { echo "could not install the standardwebhooks verifier"; broken=1; }
scripts/oauth/start.sh "$envfile" || { echo "could not start the OpenID provider"; broken=1; }
[ -x scripts/test-extras.sh ] && { scripts/test-extras.sh start "$work" "$envfile" || { echo "could not prepare test extras"; broken=1; }; }
# shellcheck disable=SC1090
. "$envfile"
export CI=${CI:-}

step "building"
if ! dotnet build ConnectLinks.slnx -nologo -v q -clp:ErrorsOnly; then
  echo "build failed"
  echo "tests: 0 passed, 1 failed, 0 skipped"
  exit 1
fi

# run_suite NAME DATABASE [FILTER]: runs the test project, adds its counts to the totals.
run_suite() {
  local name=$1 database=$2 filter=${3:-}
  step "tests on $name"
  local log="$work/$name.log" args=(test tests/ConnectLinks.Tests --no-build -nologo --results-directory "$root/artifacts/test-results")
  [ -n "$filter" ] && args+=(--filter "$filter")
  CONNECTLINKS_TEST_DATABASE=$database dotnet "${args[@]}" 2>&1 | tee "$log" | grep -a -E -A2 '^\s+(Failed|Skipped) |^(Passed|Failed)!' | grep -v '^--' || true
  local summary
  summary=$(grep -a -E '^(Passed|Failed)!' "$log" | tail -1)
  if [ -z "$summary" ]; then
    echo "no test summary for $name (the run crashed?)"; tail -30 "$log"; broken=$((broken + 1)); return
  fi
  passed=$((passed + $(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$summary")))
  failed=$((failed + $(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<<"$summary")))
  skipped=$((skipped + $(sed -E 's/.*Skipped: *([0-9]+).*/\1/' <<<"$summary")))
}

run_suite sqlite sqlite
# Connector, encryption and browser tests do not touch the service's storage: once is enough.
run_suite postgres postgres "FullyQualifiedName!~ConnectLinks.Tests.Connectors&FullyQualifiedName!~ConnectLinks.Tests.Security&FullyQualifiedName!~ConnectLinks.Tests.Browser"

failed=$((failed + broken))
echo
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
