#!/usr/bin/env bash
# ConnectLinks benchmark: a bare ASP.NET Core baseline, the service on SQLite, the service on PostgreSQL, each
# driven by wrk; then 1M links seeded into SQLite and GET by id measured again. See bench/README.md.
#
# Settings (environment):
#   BENCH_DURATION   seconds per measurement (default 15)
#   BENCH_WARMUP     seconds of warm-up before each measurement (default 3)
#   BENCH_SEED       0 skips the 1M-link seeding step (default 1)
#   BENCH_SEED_ROWS  links to seed (default 1000000)
#   BENCH_PACED_FRACTION  the paced POST aims at this fraction of the measured maximum (default 0.5)
#   BENCH_PERF       1 records a perf profile of the service during POST /v1/links (default 0)
#   BENCH_KEEP       1 keeps the temporary directory (publish output, databases, logs)
#   BENCH_PG_PORT, BENCH_BASE_PORT, BENCH_SVC_PORT   ports (defaults 55439, 55480, 55481)
# Runs as root, no stdin; installs wrk, PostgreSQL 15 and sqlite3 from Debian when missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${BENCH_DURATION:-15}
WARMUP=${BENCH_WARMUP:-3}
SEED=${BENCH_SEED:-1}
SEED_ROWS=${BENCH_SEED_ROWS:-1000000}
PACED_FRACTION=${BENCH_PACED_FRACTION:-0.5}
PERF=${BENCH_PERF:-0}
PG_PORT=${BENCH_PG_PORT:-55439}
BASE_PORT=${BENCH_BASE_PORT:-55480}
SVC_PORT=${BENCH_SVC_PORT:-55481}
CONNS=16
LOW_CONNS=4
THREADS=2
FLOW_WORKERS=${BENCH_FLOW_WORKERS:-16}
PG_BIN=/usr/lib/postgresql/15/bin
LUA="$ROOT/bench/wrk/request.lua"
BODY='{"connector":"postgres","owner":{"id":"cust_1"}}'
HZ=$(getconf CLK_TCK)
NCPU=$(nproc)

log() { echo "[bench $(date +%T)] $*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# ---------------------------------------------------------------- 1. tools
missing=()
command -v wrk >/dev/null || missing+=(wrk)
[ -x "$PG_BIN/initdb" ] || missing+=(postgresql)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v perf >/dev/null || PERF=0
command -v wrk2 >/dev/null && log "note: wrk2 is installed but not used (Debian does not package it; the script must not depend on it)"

WORK=$(mktemp -d /tmp/connectlinks-bench.XXXXXX)
chmod 755 "$WORK"
RESULTS="$WORK/results.tsv"   # target, endpoint, kind, rps, p50, p99, errors, non2xx, svc%, db%, wrk%, other%
: > "$RESULTS"
declare -A RSS=()
APP_PID=""
PG_DATA=""

stop_app() {
  if [ -n "$APP_PID" ] && kill -0 "$APP_PID" 2>/dev/null; then
    kill -TERM "$APP_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$APP_PID" 2>/dev/null && kill -KILL "$APP_PID" 2>/dev/null || true
    wait "$APP_PID" 2>/dev/null || true
    rm -f "/tmp/perf-$APP_PID.map" "/tmp/perfinfo-$APP_PID.map"   # left by DOTNET_PerfMapEnabled
  fi
  APP_PID=""
}

stop_pg() {
  if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
    local pid; pid=$(head -1 "$PG_DATA/postmaster.pid")
    kill -INT "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  PG_DATA=""
}

cleanup() {
  local rc=$?
  stop_app
  stop_pg
  if [ "${BENCH_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then log "kept $WORK (logs: $WORK/*.log)"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- 2. build
log "publishing the service and the baseline (Release)"
dotnet publish "$ROOT/src/ConnectLinks" -c Release -o "$WORK/app" -nologo -v quiet > "$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; die "service build"; }
dotnet publish "$ROOT/bench/Baseline" -c Release -o "$WORK/baseline" -nologo -v quiet >> "$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; die "baseline build"; }
dotnet publish "$ROOT/bench/Flow" -c Release -o "$WORK/flow" -nologo -v quiet >> "$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; die "flow driver build"; }

# ---------------------------------------------------------------- helpers
ENC_KEY=$(head -c 32 /dev/urandom | base64)
# The service's environment for the current target (filled per target).
SVC_ENV=()
base_env=(
  ASPNETCORE_ENVIRONMENT=Production
  Logging__LogLevel__Default=Warning
  ConnectLinks__RateLimits__ApiPermitsPerSecond=1000000
  ConnectLinks__RateLimits__ApiBurst=1000000
  ConnectLinks__RateLimits__HostedPermitsPerMinutePerIp=100000000
  ConnectLinks__RateLimits__HostedPermitsPerMinutePerToken=100000000
  ConnectLinks__Network__AllowPrivateTargets=true
  "ConnectLinks__Encryption__Keys__bench=$ENC_KEY"
)
# perf needs the JIT's symbol map (/tmp/perf-PID.map) to name managed frames.
# W^X off, or JIT code sits in a double-mapped memfd that perf cannot name (this changes the code measured a little).
[ "$PERF" = 1 ] && base_env+=(DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0)

# start_app LOGNAME PORT READY_PATH DLL ARGS... (environment from SVC_ENV)
start_app() {
  local name=$1 port=$2 ready=$3; shift 3
  ( cd "$WORK"; exec env "${SVC_ENV[@]}" dotnet "$@" --urls "http://127.0.0.1:$port" ) > "$WORK/$name.log" 2>&1 &
  APP_PID=$!
  for _ in $(seq 1 300); do
    kill -0 "$APP_PID" 2>/dev/null || { cat "$WORK/$name.log" >&2; die "$name exited during start-up"; }
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$ready")" = 200 ] && return 0
    sleep 0.2
  done
  die "$name not ready after 60 s"
}

proc_ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# CPU ticks of PostgreSQL: the postmaster, its live children, and children already reaped.
pg_ticks() {
  [ -n "$PG_DATA" ] || { echo 0; return; }
  local pm; pm=$(head -1 "$PG_DATA/postmaster.pid")
  local total; total=$(awk '{print $14+$15+$16+$17}' "/proc/$pm/stat")
  for c in $(ps -o pid= --ppid "$pm"); do total=$((total + $(proc_ticks "$c"))); done
  echo "$total"
}
machine_busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }

# measure TARGET ENDPOINT KIND URL METHOD CONNS DELAY_MS AUTH
# KIND tells which baseline row a row compares to (get16, post16, post4; "-" for none).
measure() {
  local target=$1 endpoint=$2 kind=$3 url=$4 method=$5 conns=$6 delay=$7 auth=$8
  local body=""; [ "$method" = POST ] && body=$BODY
  local threads=$THREADS; [ "$conns" -lt "$threads" ] && threads=$conns
  log "$target: $endpoint"
  WRK_METHOD=$method WRK_BODY=$body WRK_AUTH=$auth WRK_DELAY_MS=$delay \
    wrk -t"$threads" -c"$conns" -d"${WARMUP}s" -s "$LUA" "$url" > /dev/null
  local s0 d0 m0 t0 s1 d1 m1 t1
  s0=$(proc_ticks "$APP_PID"); d0=$(pg_ticks); m0=$(machine_busy_ticks); t0=$EPOCHREALTIME
  local TIMEFORMAT='%3U %3S'
  { time WRK_METHOD=$method WRK_BODY=$body WRK_AUTH=$auth WRK_DELAY_MS=$delay \
      wrk -t"$threads" -c"$conns" -d"${DURATION}s" -s "$LUA" "$url" > "$WORK/wrk.out"; } 2> "$WORK/wrk.time"
  s1=$(proc_ticks "$APP_PID"); d1=$(pg_ticks); m1=$(machine_busy_ticks); t1=$EPOCHREALTIME
  local line; line=$(sed -n 's/^RESULT //p' "$WORK/wrk.out")
  [ -n "$line" ] || { cat "$WORK/wrk.out" >&2; die "wrk printed no RESULT line"; }
  cat "$WORK/wrk.out" >> "$WORK/wrk-all.log"
  local rps p50 p99 errors non2xx
  eval "$(echo "$line" | tr ' ' '\n' | sed -n 's/^\(rps\|p50_ms\|p99_ms\|errors\|non2xx\)=/\1=/p' | sed 's/^p50_ms/p50/;s/^p99_ms/p99/')"
  p50=${p50:-0}; p99=${p99:-0}
  awk -v tgt="$target" -v ep="$endpoint" -v kind="$kind" -v rps="$rps" -v p50="$p50" -v p99="$p99" \
      -v err="$errors" -v n2="$non2xx" -v s="$((s1 - s0))" -v d="$((d1 - d0))" -v m="$((m1 - m0))" \
      -v wt="$(cat "$WORK/wrk.time")" -v hz="$HZ" -v wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" 'BEGIN{
        split(wt, w, " "); wrk = (w[1] + w[2]) * hz
        other = m - s - d - wrk; if (other < 0) other = 0
        f = 100 / (hz * wall)
        printf "%s\t%s\t%s\t%.1f\t%.3f\t%.3f\t%d\t%d\t%.0f\t%.0f\t%.0f\t%.0f\n", tgt, ep, kind, rps, p50, p99, err, n2, s*f, d*f, wrk*f, other*f
      }' >> "$RESULTS"
  [ "$non2xx" = 0 ] || log "warning: $non2xx responses were not 2xx"
  LAST_RPS=$rps
}

peak_rss_mb() { awk '/^VmHWM/{printf "%.0f", $2/1024}' "/proc/$APP_PID/status"; }

# profiled NAME MEASURE-ARGS...: runs measure; with BENCH_PERF=1 also samples the service with perf for 5 s
# mid-run and writes bench/results/perf-NAME.txt (CPU by library, then the hottest functions).
profiled() {
  local name=$1; shift
  [ "$PERF" = 1 ] || { measure "$@"; return; }
  local data="$WORK/$name.perf.data" txt="$ROOT/bench/results/perf-$name.txt"
  ( sleep $((WARMUP + 2)); perf record -F 999 -g -p "$APP_PID" -o "$data" -- sleep 5 > /dev/null 2>&1 || true ) &
  local job=$!
  measure "$@"
  wait "$job" || true
  {
    echo "# perf: $name ($*)"
    echo "## CPU samples by library"
    perf report -i "$data" --no-children --sort dso -g none --stdio 2>/dev/null | grep '%' | grep -v '^#' | head -15
    echo "## Hottest functions (self)"
    perf report -i "$data" --no-children --sort dso,sym -g none --stdio 2>/dev/null | grep '%' | grep -v '^#' | head -40
    echo "## Service code, EF Core, database drivers and middleware (inclusive: the function and what it calls)"
    perf report -i "$data" --children --sort sym -g none --stdio 2>/dev/null | grep '%' | grep -v '^#' \
      | grep -E 'ConnectLinks|EntityFrameworkCore|Data\.Sqlite|SQLitePCL|Npgsql|Middleware|Authentication|Authorization|RateLimit|StaticFiles|Logging|Text\.Json|Kestrel|clrjit|GarbageCollect|gc_heap' \
      | head -70
  } > "$txt" || true
}

# warm_up TARGET AUTH "METHOD URL"...: drives each endpoint for the warm-up time, so that JIT tiering is done before
# any measurement (3 s alone left GET by id about 25 % slower than after the full warm-up).
warm_up() {
  local t=$1 auth=$2; shift 2
  log "$t: warm-up"
  for ep in "$@"; do
    local m=${ep%% *} b=""; [ "$m" = POST ] && b=$BODY
    WRK_METHOD=$m WRK_BODY=$b WRK_AUTH=$auth wrk -t$THREADS -c$CONNS -d"${WARMUP}s" -s "$LUA" "${ep#* }" > /dev/null
  done
}

# service_suite TARGET: measures the service started by the caller with key $KEY.
service_suite() {
  local t=$1 u="http://127.0.0.1:$SVC_PORT" auth="Bearer $KEY"
  # 25 links so that the list endpoint returns a full page of 20; the first one is read by id.
  local id=""
  for i in $(seq 1 25); do
    local resp; resp=$(curl -s -w '\n%{http_code}' -X POST -H "Authorization: $auth" -H 'Content-Type: application/json' -d "$BODY" "$u/v1/links")
    [ "$(tail -1 <<< "$resp")" = 201 ] || die "$t: POST /v1/links answered $(tail -1 <<< "$resp"): $(head -1 <<< "$resp")"
    [ -n "$id" ] || id=$(head -1 <<< "$resp" | grep -o '"id":"lnk_[^"]*"' | cut -d'"' -f4)
  done
  [ -n "$id" ] || die "$t: no link id in the create response"
  LINK_ID=$id
  # Warm-up of every endpoint first, so the first measured row does not pay for JIT tiering of the others.
  warm_up "$t" "$auth" "GET $u/v1/links/$id" "GET $u/v1/links?limit=20" "POST $u/v1/links"
  # Reads first, on a nearly empty database (the POST runs below add ~100k links).
  profiled "$t-get-by-id" "$t" "GET /v1/links/{id}" get16 "$u/v1/links/$id" GET $CONNS 0 "$auth"
  eval "EMPTY_GET_$t=\$LAST_RPS"
  measure "$t" "GET /v1/links?limit=20" get16 "$u/v1/links?limit=20" GET $CONNS 0 "$auth"
  profiled "$t-post" "$t" "POST /v1/links" post16 "$u/v1/links" POST $CONNS 0 "$auth"
  local max=$LAST_RPS
  measure "$t" "POST /v1/links ($LOW_CONNS conns)" post4 "$u/v1/links" POST $LOW_CONNS 0 "$auth"
  # Paced: every connection pauses before each request, so the offered load stays near a fraction of the maximum.
  local delay; delay=$(awk -v c=$CONNS -v m="$max" -v f="$PACED_FRACTION" 'BEGIN{d=int(c*1000/(m*f)+0.5); if(d<1)d=1; print d}')
  measure "$t" "POST /v1/links (paced: $CONNS conns, ${delay} ms pause)" - "$u/v1/links" POST $CONNS "$delay" "$auth"
}

# hosted_suite TARGET: the end customer's side — the link page render, and the whole flow (create a link, open the
# page, submit valid credentials of the bench PostgreSQL, checks run, connection stored) driven by bench/Flow.
hosted_suite() {
  local t=$1 u="http://127.0.0.1:$SVC_PORT"
  local url; url=$(curl -s -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$BODY" "$u/v1/links" | grep -o '"url":"[^"]*"' | cut -d'"' -f4)
  [ -n "$url" ] || die "$t: no link url"
  measure "$t" "GET /connect/{token} (page)" get16 "$u/${url#http*://*/}" GET $CONNS 0 ""
  log "$t: full flow ($FLOW_WORKERS workers)"
  local s0 d0 m0 t0 s1 d1 m1 t1
  s0=$(proc_ticks "$APP_PID"); d0=$(pg_ticks); m0=$(machine_busy_ticks); t0=$EPOCHREALTIME
  dotnet "$WORK/flow/Flow.dll" "$u" "$KEY" "$DURATION" "$FLOW_WORKERS" 127.0.0.1 "$PG_PORT" postgres unused postgres > "$WORK/flow.out" 2>> "$WORK/flow.err" \
    || { cat "$WORK/flow.err" >&2; die "flow driver failed"; }
  s1=$(proc_ticks "$APP_PID"); d1=$(pg_ticks); m1=$(machine_busy_ticks); t1=$EPOCHREALTIME
  local line; line=$(sed -n 's/^RESULT //p' "$WORK/flow.out")
  local rps p50_ms p99_ms errors flows submit_p50_ms submit_p99_ms
  eval "$(echo "$line" | tr ' ' '\n')"
  [ "${errors:-1}" = 0 ] || log "warning: $errors flows failed (see $WORK/flow.err)"
  awk -v tgt="$t" -v ep="full flow: create → page → submit → stored (submit p50 ${submit_p50_ms} / p99 ${submit_p99_ms} ms)" \
      -v rps="$rps" -v p50="$p50_ms" -v p99="$p99_ms" -v err="$errors" -v s="$((s1 - s0))" -v d="$((d1 - d0))" -v m="$((m1 - m0))" \
      -v hz="$HZ" -v wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" 'BEGIN{
        f = 100 / (hz * wall); other = m - s - d; if (other < 0) other = 0
        printf "%s\t%s\t-\t%.1f\t%.3f\t%.3f\t%d\t0\t%.0f\t%.0f\t0\t%.0f\n", tgt, ep, rps, p50, p99, err, s*f, d*f, other*f
      }' >> "$RESULTS"
}

# ---------------------------------------------------------------- PostgreSQL server (storage for 3c, and the system
# every full-flow row connects to)
log "private PostgreSQL on port $PG_PORT"
mkdir -p "$WORK/pg"; chown postgres "$WORK/pg"
runuser -u postgres -- "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres --auth=trust -E UTF8 > "$WORK/pg-initdb.log" 2>&1
PG_DATA="$WORK/pg/data"
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$WORK/pg/pg.log" \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $WORK/pg -c fsync=on -c max_connections=300" -w start > /dev/null

# ---------------------------------------------------------------- 3a. baseline
log "baseline"
SVC_ENV=(ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning)
start_app baseline "$BASE_PORT" / "$WORK/baseline/Baseline.dll"
measure baseline "GET /" get16 "http://127.0.0.1:$BASE_PORT/" GET $CONNS 0 ""
measure baseline "POST /echo" post16 "http://127.0.0.1:$BASE_PORT/echo" POST $CONNS 0 ""
measure baseline "POST /echo ($LOW_CONNS conns)" post4 "http://127.0.0.1:$BASE_PORT/echo" POST $LOW_CONNS 0 ""
RSS[baseline]=$(peak_rss_mb)
stop_app

# ---------------------------------------------------------------- 3b. SQLite
log "service on SQLite"
DATA="$WORK/sqlite-data"
mkdir -p "$DATA"
SVC_ENV=("${base_env[@]}")
KEY=$(cd "$WORK" && env "${SVC_ENV[@]}" dotnet "$WORK/app/ConnectLinks.dll" keys create --org bench --data-dir "$DATA" 2>> "$WORK/cli.log")
[[ $KEY == clk_* ]] || die "keys create printed '$KEY' (see $WORK/cli.log)"
start_app sqlite "$SVC_PORT" /healthz "$WORK/app/ConnectLinks.dll" --data-dir "$DATA"
service_suite sqlite
hosted_suite sqlite
RSS[sqlite]=$(peak_rss_mb)
stop_app

# ---------------------------------------------------------------- 5. SQLite with 1M more links
SEEDED_ROWS=""
if [ "$SEED" != 0 ]; then
  DB="$DATA/connectlinks.db"
  ORG=$(sqlite3 "$DB" "SELECT Id FROM organizations WHERE Name='bench';")
  [ -n "$ORG" ] || die "no organization 'bench' in $DB"
  log "seeding $SEED_ROWS links into SQLite"
  seed_start=$EPOCHREALTIME
  NOW_MS=$(($(date +%s%3N)))
  # Ids keep the service's layout (lnk_ + 10 time characters + 16 random characters, lowercase Crockford base32;
  # hex digits are in that alphabet), spread over the last 30 days; links past their expiry are marked expired,
  # so the expiry sweeper has nothing to do during the measurement.
  sqlite3 "$DB" > /dev/null <<SQL
PRAGMA synchronous=OFF;
PRAGMA cache_size=-400000;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $SEED_ROWS - 1),
t(i, ms) AS (SELECT i, $NOW_MS - 2592000000 + i * (2592000000 / $SEED_ROWS) FROM n),
a(s) AS (SELECT '0123456789abcdefghjkmnpqrstvwxyz')
INSERT INTO links (Id, OrganizationId, TokenHash, Status, Kind, Connector, ConnectorList, Categories, OwnerId,
  OwnerName, OwnerUsername, Title, RedirectUri, WebhookUrl, ExpiresAt, CreatedAt, OpenedAt, CompletedAt, RevokedAt,
  Uses, MaxUses, Attempts, MaxAttempts, ConnectionId, Metadata, Prefill)
SELECT 'lnk_' || substr(s, ((ms >> 45) & 31) + 1, 1) || substr(s, ((ms >> 40) & 31) + 1, 1)
    || substr(s, ((ms >> 35) & 31) + 1, 1) || substr(s, ((ms >> 30) & 31) + 1, 1) || substr(s, ((ms >> 25) & 31) + 1, 1)
    || substr(s, ((ms >> 20) & 31) + 1, 1) || substr(s, ((ms >> 15) & 31) + 1, 1) || substr(s, ((ms >> 10) & 31) + 1, 1)
    || substr(s, ((ms >> 5) & 31) + 1, 1) || substr(s, (ms & 31) + 1, 1) || lower(hex(randomblob(8))),
  '$ORG', lower(hex(randomblob(32))),
  CASE WHEN ms + 604800000 <= $NOW_MS THEN 'expired' ELSE 'waiting' END,
  'destination', 'postgres', ',postgres,', '[]', 'cust_' || (i % 50000),
  NULL, NULL, NULL, NULL, NULL, ms + 604800000, ms, NULL, NULL, NULL, 0, 1, 0, 10, NULL, '{}', '{}'
FROM t, a;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
  SEEDED_ROWS=$(sqlite3 "$DB" "SELECT count(*) FROM links;")
  log "seeded in $(awk -v a="$seed_start" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.0f", b-a}') s; links table holds $SEEDED_ROWS rows"
  start_app sqlite-seeded "$SVC_PORT" /healthz "$WORK/app/ConnectLinks.dll" --data-dir "$DATA"
  # The same warm-up as the nearly empty run had before its GET by id, so the two rows differ only in the data.
  warm_up sqlite-1M "Bearer $KEY" "GET http://127.0.0.1:$SVC_PORT/v1/links/$LINK_ID" "GET http://127.0.0.1:$SVC_PORT/v1/links?limit=20"
  measure sqlite-1M "GET /v1/links/{id}" get16 "http://127.0.0.1:$SVC_PORT/v1/links/$LINK_ID" GET $CONNS 0 "Bearer $KEY"
  SEEDED_GET=$LAST_RPS
  measure sqlite-1M "GET /v1/links?limit=20" get16 "http://127.0.0.1:$SVC_PORT/v1/links?limit=20" GET $CONNS 0 "Bearer $KEY"
  RSS[sqlite-1M]=$(peak_rss_mb)
  stop_app
fi

# ---------------------------------------------------------------- 3c. PostgreSQL
log "service on PostgreSQL (private server on port $PG_PORT)"
runuser -u postgres -- "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres connectlinks
SVC_ENV=("${base_env[@]}" ConnectLinks__Database__Provider=postgres
  "ConnectLinks__Database__ConnectionString=Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=connectlinks")
KEY=$(cd "$WORK" && env "${SVC_ENV[@]}" dotnet "$WORK/app/ConnectLinks.dll" keys create --org bench --data-dir "$WORK/pg-app-data" 2>> "$WORK/cli.log")
[[ $KEY == clk_* ]] || die "keys create printed '$KEY' (see $WORK/cli.log)"
start_app postgres "$SVC_PORT" /healthz "$WORK/app/ConnectLinks.dll" --data-dir "$WORK/pg-app-data"
service_suite postgres
hosted_suite postgres
RSS[postgres]=$(peak_rss_mb)
stop_app
stop_pg

# ---------------------------------------------------------------- 7. report
OUT="$ROOT/bench/results/latest.md"
mkdir -p "$(dirname "$OUT")"
{
  echo "# ConnectLinks benchmark"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $NCPU cores, load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "wrk: $THREADS threads, $CONNS connections unless noted, ${DURATION} s per row after ${WARMUP} s of warm-up. Latency in ms."
  echo
  echo "| target | endpoint | req/s | p50 ms | p99 ms | req/s ÷ baseline | p50 ÷ baseline | p99 ÷ baseline |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' '
    $1 == "baseline" { b_rps[$3] = $4; b_p50[$3] = $5; b_p99[$3] = $6 }
    { rows[NR] = $0 }
    END {
      for (i = 1; i <= NR; i++) {
        split(rows[i], f, "\t")
        k = f[3]
        if (f[1] != "baseline" && (k in b_rps) && b_rps[k] > 0 && b_p50[k] > 0 && b_p99[k] > 0)
          r = sprintf("%.2f | %.1f | %.1f", f[4] / b_rps[k], f[5] / b_p50[k], f[6] / b_p99[k])
        else r = "— | — | —"
        printf "| %s | %s | %.0f | %.2f | %.2f | %s |\n", f[1], f[2], f[4], f[5], f[6], r
      }
    }' "$RESULTS"
  echo
  echo "Peak RSS (VmHWM): $(for k in baseline sqlite sqlite-1M postgres; do [ -n "${RSS[$k]:-}" ] && printf '%s %s MB; ' "$k" "${RSS[$k]}"; done | sed 's/; $//')."
  if [ -n "$SEEDED_ROWS" ]; then
    echo
    awk -v e="$EMPTY_GET_sqlite" -v s="$SEEDED_GET" -v n="$SEEDED_ROWS" 'BEGIN{
      printf "GET /v1/links/{id} on SQLite with %d links: %.0f req/s, %.2f× the nearly empty database (%.0f req/s); target ≥ 0.80×.\n", n, s, s/e, e }'
  fi
  echo
  echo "Where the CPU went during each row (% of one core; the machine has $NCPU, so $((NCPU * 100)) % is all of it). \"Other\" is"
  echo "everything else on the machine (other builds and tests); a large value there makes the row less trustworthy."
  echo
  echo "| target | endpoint | errors | non-2xx | service CPU % | PostgreSQL CPU % | wrk CPU % | other CPU % |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' '{ printf "| %s | %s | %d | %d | %d | %d | %d | %d |\n", $1, $2, $7, $8, $9, $10, $11, $12 }' "$RESULTS"
  echo
  echo "Targets: POST /v1/links ≥ 10,000 req/s with p99 ≤ 10 ms on SQLite, ≥ 6,000 req/s with p99 ≤ 20 ms on PostgreSQL;"
  echo "GET /v1/links/{id} ≥ 20,000 req/s on SQLite, ≥ 10,000 on PostgreSQL, within 20 % with 1M links; peak RSS ≤ 250 MB;"
  echo "GET /connect/{token} ≥ 5,000 req/s; full flow ≥ 150 flows/s (the req/s column of a full-flow row is flows/s)."
} > "$OUT"
cat "$OUT"
log "written to $OUT"
