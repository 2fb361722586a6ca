#!/usr/bin/env bash
# ConnectLinks webhook-delivery benchmark: events at a fixed rate into the service on SQLite, delivered to a local
# receiver; delivery rate and lag; then a receiver outage, the service's memory during it, and the drain afterwards.
# See bench/README.md ("Webhook delivery").
#
# Settings (environment):
#   WH_RATE              events (POST /v1/links) per second (default 1000)
#   WH_SECONDS           seconds of the steady phase (default 60)
#   OUTAGE_SECONDS       seconds the receiver is down while events keep coming (default 600; 0 skips the outage)
#   WH_OUTAGE_MODE       refuse (connections refused, default) or 503 (receiver answers 503)
#   WH_CATCHUP_SECONDS   after the steady phase, wait at most this long for the last deliveries (default 600), so
#                        that the outage starts with an empty backlog
#   WH_DRAIN_SECONDS     after the outage, wait at most this long for the backlog to drain (default: the last
#                        pending delivery's next attempt + 60 s + 10 ms per pending delivery, at least 300 s)
#   WH_RETRY_SCHEDULE    overrides ConnectLinks:Webhooks:RetrySchedule (comma-separated, e.g. 00:00:05,00:00:30);
#                        unset = the service's default (5 s, 5 min, 30 min, …). The report states it.
#   WH_MAX_CONCURRENCY   overrides ConnectLinks:Webhooks:MaxConcurrency (unset = default 16). The report states it.
#   WH_SERVICE_ENV       extra environment for the service, space-separated NAME=VALUE (stated in the report)
#   WH_OUT               where the Markdown report goes (default bench/results/webhooks.md)
#   WH_KEEP              1 keeps the temporary directory (publish output, database, logs, receiver log)
#   WH_SVC_PORT, WH_RECV_PORT, WH_CTRL_PORT   ports (defaults 18491, 18492, 18493: below the ephemeral range, because
#                        a connect to a closed port inside it can be given that same port as its source and connect
#                        to itself, which then holds the port and the receiver cannot listen again)
# Needs dotnet, node (>= 18), curl and sqlite3; runs without input.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE="$ROOT/bench/webhooks"
RATE=${WH_RATE:-1000}
SECONDS_STEADY=${WH_SECONDS:-60}
OUTAGE=${OUTAGE_SECONDS:-600}
OUTAGE_MODE=${WH_OUTAGE_MODE:-refuse}
CATCHUP=${WH_CATCHUP_SECONDS:-600}
SVC_PORT=${WH_SVC_PORT:-18491}
RECV_PORT=${WH_RECV_PORT:-18492}
CTRL_PORT=${WH_CTRL_PORT:-18493}
HZ=$(getconf CLK_TCK)
NCPU=$(nproc)
U="http://127.0.0.1:$SVC_PORT"
CTRL="http://127.0.0.1:$CTRL_PORT"

log() { echo "[whbench $(date +%T)] $*" >&2; }
die() { log "FAILED: $*"; exit 1; }
now_ms() { date +%s%3N; }

for tool in dotnet node curl sqlite3; do command -v "$tool" >/dev/null || die "$tool is missing"; done

WORK=$(mktemp -d /tmp/connectlinks-whbench.XXXXXX)
APP_PID="" RECV_PID="" SAMPLER_PID=""

stop_pid() {
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  stop_pid "$SAMPLER_PID"; stop_pid "$APP_PID"; stop_pid "$RECV_PID"
  if [ "${WH_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then log "kept $WORK (logs: $WORK/*.log)"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- build
log "publishing the service (Release)"
dotnet publish "$ROOT/src/ConnectLinks" -c Release -o "$WORK/app" -nologo -v quiet > "$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; die "service build"; }

# ---------------------------------------------------------------- start
DATA="$WORK/data"; mkdir -p "$DATA"
DB="$DATA/connectlinks.db"
SVC_ENV=(
  ASPNETCORE_ENVIRONMENT=Production
  Logging__LogLevel__Default=Warning
  ConnectLinks__RateLimits__ApiPermitsPerSecond=1000000
  ConnectLinks__RateLimits__ApiBurst=1000000
  "ConnectLinks__Encryption__Keys__bench=$(head -c 32 /dev/urandom | base64)"
  ConnectLinks__Webhooks__AllowHttpLoopback=true
  ConnectLinks__Network__AllowPrivateTargets=true
)
OVERRIDES=""
if [ -n "${WH_RETRY_SCHEDULE:-}" ]; then
  SVC_ENV+=("ConnectLinks__Webhooks__RetrySchedule=$WH_RETRY_SCHEDULE"); OVERRIDES+="RetrySchedule=$WH_RETRY_SCHEDULE; "
fi
if [ -n "${WH_MAX_CONCURRENCY:-}" ]; then
  SVC_ENV+=("ConnectLinks__Webhooks__MaxConcurrency=$WH_MAX_CONCURRENCY"); OVERRIDES+="MaxConcurrency=$WH_MAX_CONCURRENCY; "
fi
if [ -n "${WH_SERVICE_ENV:-}" ]; then
  read -r -a extra <<< "$WH_SERVICE_ENV"; SVC_ENV+=("${extra[@]}"); OVERRIDES+="$WH_SERVICE_ENV; "
fi
# The schedule in force, for the drain deadline and the report.
SCHEDULE=${WH_RETRY_SCHEDULE:-00:00:05,00:05:00,00:30:00,02:00:00,05:00:00,10:00:00,1.00:00:00}

KEY=$(cd "$WORK" && env "${SVC_ENV[@]}" dotnet "$WORK/app/ConnectLinks.dll" keys create --org bench --data-dir "$DATA" 2>> "$WORK/cli.log")
[[ $KEY == clk_* ]] || die "keys create printed '$KEY' (see $WORK/cli.log)"
AUTH="Bearer $KEY"

node "$HERE/receiver.js" "$RECV_PORT" "$CTRL_PORT" "$WORK/received.tsv" > "$WORK/receiver.log" 2>&1 &
RECV_PID=$!

( cd "$WORK"; exec env "${SVC_ENV[@]}" dotnet "$WORK/app/ConnectLinks.dll" --data-dir "$DATA" --urls "$U" ) > "$WORK/service.log" 2>&1 &
APP_PID=$!
for i in $(seq 1 300); do
  kill -0 "$APP_PID" 2>/dev/null || { cat "$WORK/service.log" >&2; die "service exited during start-up"; }
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$U/healthz")" = 200 ] && break
  [ "$i" = 300 ] && die "service not ready after 60 s"
  sleep 0.2
done
curl -sf "$CTRL/stats" > /dev/null || die "receiver not answering"

resp=$(curl -s -w '\n%{http_code}' -X POST -H "Authorization: $AUTH" -H 'Content-Type: application/json' \
  -d "{\"url\":\"http://127.0.0.1:$RECV_PORT/hook\",\"events\":[\"link.created\"],\"description\":\"bench\"}" "$U/v1/webhook-endpoints")
[ "$(tail -1 <<< "$resp")" = 201 ] || die "POST /v1/webhook-endpoints answered $(tail -1 <<< "$resp"): $(head -1 <<< "$resp")"
grep -q '"secret":"whsec_' <<< "$resp" || die "no whsec_ secret in the endpoint response"

# ---------------------------------------------------------------- helpers
proc_ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
machine_busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
rss_mb() { awk -v k="$1" '$1 == k":" {printf "%.0f", $2/1024}' "/proc/$APP_PID/status"; }
received_unique() { curl -s "$CTRL/stats" | sed 's/.*"unique":\([0-9]*\).*/\1/'; }
db() { sqlite3 -cmd '.timeout 5000' "$DB" "$@"; }

# load NAME SECONDS: open-loop POST /v1/links at $RATE; sets GEN_FROM, GEN_TO (ms) and GEN (the RESULT JSON)
load() {
  local name=$1 secs=$2
  GEN_FROM=$(now_ms)
  node "$HERE/loadgen.js" "$U/v1/links" "$AUTH" "$RATE" "$secs" "$WORK/$name.ids" > "$WORK/$name.gen" 2> "$WORK/$name.gen.err" \
    || { cat "$WORK/$name.gen.err" >&2; die "load generator ($name)"; }
  GEN_TO=$(now_ms)
  GEN=$(sed -n 's/^RESULT //p' "$WORK/$name.gen")
}
json() { node -e 'const o=JSON.parse(process.argv[1]); let v=o; for (const k of process.argv[2].split(".")) v=v?.[k]; console.log(v ?? "")' "$1" "$2"; }

# wait_delivered TOTAL MAX_SECONDS: until the receiver has seen TOTAL distinct webhook-ids, or MAX_SECONDS pass
wait_delivered() {
  local total=$1 max=$2 start; start=$(date +%s)
  while (( $(received_unique) < total )) && (( $(date +%s) - start < max )); do sleep 1; done
}

# ---------------------------------------------------------------- warm-up
log "warm-up: 10 s at $((RATE / 2))/s"
RATE_SAVED=$RATE; RATE=$((RATE / 2))
load warmup 10
RATE=$RATE_SAVED
wait_delivered "$(wc -l < "$WORK/warmup.ids")" 60
sleep 2
EXPECTED=$(wc -l < "$WORK/warmup.ids")

# ---------------------------------------------------------------- steady
log "steady: $SECONDS_STEADY s at $RATE/s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
s0=$(proc_ticks "$APP_PID"); r0=$(proc_ticks "$RECV_PID"); m0=$(machine_busy_ticks); t0=$EPOCHREALTIME
load steady "$SECONDS_STEADY"; GEN_STEADY=$GEN
s1=$(proc_ticks "$APP_PID"); r1=$(proc_ticks "$RECV_PID"); m1=$(machine_busy_ticks); t1=$EPOCHREALTIME
STEADY_FROM=$GEN_FROM STEADY_TO=$GEN_TO
STEADY_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
CPU_STEADY=$(awk -v s=$((s1 - s0)) -v r=$((r1 - r0)) -v m=$((m1 - m0)) -v hz="$HZ" -v a="$t0" -v b="$t1" \
  'BEGIN{f=100/(hz*(b-a)); printf "service %.0f %%, receiver %.0f %%, whole machine %.0f %% (of %d %%)", s*f, r*f, m*f, '"$NCPU"'*100}')
log "steady: $GEN_STEADY; CPU: $CPU_STEADY"
EXPECTED=$((EXPECTED + $(wc -l < "$WORK/steady.ids")))
log "steady: waiting up to $CATCHUP s for the last deliveries"
wait_delivered "$EXPECTED" "$CATCHUP"
CATCHUP_LEFT=$((EXPECTED - $(received_unique)))
STEADY=$(node "$HERE/analyze.js" "$WORK/received.tsv" "$WORK/steady.ids" "$STEADY_FROM" "$STEADY_TO")
log "steady: $STEADY"
RSS_STEADY="$(rss_mb VmRSS) / $(rss_mb VmHWM)"

# ---------------------------------------------------------------- outage
OUTAGE_ROWS=""
if [ "$OUTAGE" -gt 0 ]; then
  sleep 3
  RSS_BEFORE="$(rss_mb VmRSS) / $(rss_mb VmHWM)"
  DB_BEFORE=$(du -sm "$DATA" | cut -f1)
  curl -sf -X POST "$CTRL/down?mode=$OUTAGE_MODE" > /dev/null
  log "outage ($OUTAGE_MODE): receiver down; $OUTAGE s of events at $RATE/s"
  # VmRSS every 5 s through the outage and the drain
  ( while kill -0 "$APP_PID" 2>/dev/null; do echo "$(now_ms) $(rss_mb VmRSS)"; sleep 5; done ) > "$WORK/rss.log" &
  SAMPLER_PID=$!
  s0=$(proc_ticks "$APP_PID"); m0=$(machine_busy_ticks); t0=$EPOCHREALTIME
  load outage "$OUTAGE"; GEN_OUTAGE=$GEN
  s1=$(proc_ticks "$APP_PID"); m1=$(machine_busy_ticks); t1=$EPOCHREALTIME
  OUT_FROM=$GEN_FROM OUT_TO=$GEN_TO
  CPU_OUTAGE=$(awk -v s=$((s1 - s0)) -v m=$((m1 - m0)) -v hz="$HZ" -v a="$t0" -v b="$t1" \
    'BEGIN{f=100/(hz*(b-a)); printf "service %.0f %%, whole machine %.0f %%", s*f, m*f}')
  RSS_END="$(rss_mb VmRSS) / $(rss_mb VmHWM)"
  OUTAGE_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
  log "outage: $GEN_OUTAGE; CPU: $CPU_OUTAGE; RSS/HWM $RSS_END MB"
  NOW=$(now_ms)
  BACKLOG=$(db "SELECT count(*), coalesce(sum(NextAttemptAt - $NOW <= 60000), 0), coalesce(sum(NextAttemptAt - $NOW > 60000 AND NextAttemptAt - $NOW <= 360000), 0), coalesce(sum(NextAttemptAt - $NOW > 360000), 0), coalesce(max(NextAttemptAt) - $NOW, 0) FROM webhook_deliveries WHERE Status = 'pending';")
  BY_ATTEMPTS=$(db "SELECT Attempts || ' attempts: ' || count(*) FROM webhook_deliveries WHERE Status = 'pending' GROUP BY Attempts ORDER BY Attempts;" | paste -sd';' | sed 's/;/; /g')
  ATTEMPTS_OUTAGE=$(db "SELECT count(*) FROM webhook_attempts WHERE AttemptedAt >= $OUT_FROM;")
  DB_END=$(du -sm "$DATA" | cut -f1)
  IFS='|' read -r PENDING DUE1 DUE6 DUELATER MAXDUE <<< "$BACKLOG"
  log "backlog: $PENDING pending ($DUE1 due within 1 min, $DUE6 in 1–6 min, $DUELATER later; last at +$((MAXDUE / 1000)) s); $BY_ATTEMPTS"
  # Drain deadline: the last pending delivery's next attempt + 60 s, plus 10 ms per pending delivery (the dispatcher
  # may not even have tried most of them yet); at least 300 s; WH_DRAIN_SECONDS replaces it.
  DRAIN_MAX=$((MAXDUE / 1000 + 60 + PENDING / 100)); (( DRAIN_MAX < 300 )) && DRAIN_MAX=300
  [ -n "${WH_DRAIN_SECONDS:-}" ] && DRAIN_MAX=$WH_DRAIN_SECONDS
  curl -sf -X POST "$CTRL/up" > /dev/null || { cat "$WORK/receiver.log" >&2; die "the receiver could not come back up"; }
  UP_MS=$(now_ms)
  EXPECTED=$((EXPECTED + $(wc -l < "$WORK/outage.ids")))
  log "receiver up; waiting up to $DRAIN_MAX s for the backlog to drain"
  RSS_PEAK_DRAIN=0
  drain_start=$(date +%s)
  while (( $(received_unique) < EXPECTED )) && (( $(date +%s) - drain_start < DRAIN_MAX )); do
    sleep 5
    r=$(rss_mb VmRSS); (( r > RSS_PEAK_DRAIN )) && RSS_PEAK_DRAIN=$r
    (( ($(date +%s) - drain_start) % 60 < 5 )) && log "drain: $(( $(received_unique) - (EXPECTED - $(wc -l < "$WORK/outage.ids")) )) of $(wc -l < "$WORK/outage.ids") outage events delivered"
  done
  DRAIN_WAITED=$(( $(date +%s) - drain_start ))
  RSS_AFTER="$(rss_mb VmRSS) / $(rss_mb VmHWM)"
  RSS_MAX_OUTAGE=$(awk -v a="$OUT_FROM" -v b="$OUT_TO" '$1 >= a && $1 <= b && $2 > m {m = $2} END {print m + 0}' "$WORK/rss.log")
  STILL_PENDING=$(db "SELECT count(*) FROM webhook_deliveries WHERE Status = 'pending';")
  OUTAGE_R=$(node "$HERE/analyze.js" "$WORK/received.tsv" "$WORK/outage.ids" "$OUT_FROM" "$OUT_TO" "$UP_MS")
  log "outage: $OUTAGE_R"
fi

# The steady phase again, now that the catch-up and any redeliveries are in the log.
STEADY=$(node "$HERE/analyze.js" "$WORK/received.tsv" "$WORK/steady.ids" "$STEADY_FROM" "$STEADY_TO")
SERVICE_ERRORS=$(grep -c 'fail:\|crit:' "$WORK/service.log" || true)

# ---------------------------------------------------------------- report
OUT=${WH_OUT:-$ROOT/bench/results/webhooks.md}
mkdir -p "$(dirname "$OUT")"
j() { json "$1" "$2"; }
{
  echo "# ConnectLinks webhook delivery benchmark"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $NCPU cores shared with other work;"
  echo "load average at the start $LOAD_START, after the steady phase $STEADY_LOAD${OUTAGE_LOAD:+, at the end of the outage $OUTAGE_LOAD}, at the end $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "SQLite (synchronous=FULL), one endpoint subscribed to \`link.created\`, receiver: node on 127.0.0.1 answering 200 at once."
  echo "Load: open-loop paced \`POST /v1/links\` (bench/webhooks/loadgen.js) at $RATE/s. Retry schedule: $SCHEDULE$([ -z "${WH_RETRY_SCHEDULE:-}" ] && echo ' (default)')."
  echo "Settings changed from the defaults for the run: AllowHttpLoopback, Network:AllowPrivateTargets, API rate limit lifted${OVERRIDES:+; }${OVERRIDES%; }."
  echo
  echo "## Steady: $SECONDS_STEADY s at $RATE events/s"
  echo
  echo "| measure | value |"
  echo "|---|---:|"
  echo "| events generated (201 from POST /v1/links) | $(j "$GEN_STEADY" created) |"
  echo "| generator: achieved rate / POST p50 / p99 / failed | $(j "$GEN_STEADY" rate)/s / $(j "$GEN_STEADY" p50_ms) ms / $(j "$GEN_STEADY" p99_ms) ms / $(j "$GEN_STEADY" failed) |"
  echo "| events delivered (distinct webhook-id answered 200) | $(j "$STEADY" delivered) |"
  echo "| delivered during the generation window | $(j "$STEADY" in_window) ($(j "$STEADY" in_window_rate)/s) |"
  echo "| last delivery after the generator stopped | $(j "$STEADY" drain_s) s ($(j "$STEADY" after_rate) deliveries/s meanwhile) |"
  echo "| steady events still undelivered when the script stopped waiting (after at most $CATCHUP s) | $CATCHUP_LEFT |"
  echo "| lag event → receipt p50 / p90 / p99 / max | $(j "$STEADY" lag_p50_ms) / $(j "$STEADY" lag_p90_ms) / $(j "$STEADY" lag_p99_ms) / $(j "$STEADY" lag_max_ms) ms |"
  echo "| duplicates (redeliveries of a webhook-id) | $(j "$STEADY" duplicates) |"
  echo "| CPU during the phase (% of one core) | $CPU_STEADY |"
  echo "| service VmRSS / VmHWM after the phase | $RSS_STEADY MB |"
  if [ "$OUTAGE" -gt 0 ]; then
    echo
    echo "## Outage: receiver down ($OUTAGE_MODE) for $OUTAGE s at $RATE events/s, then back"
    echo
    echo "| measure | value |"
    echo "|---|---:|"
    echo "| events generated during the outage | $(j "$GEN_OUTAGE" created) ($(j "$GEN_OUTAGE" rate)/s; POST p50 $(j "$GEN_OUTAGE" p50_ms) ms, p99 $(j "$GEN_OUTAGE" p99_ms) ms; failed $(j "$GEN_OUTAGE" failed)) |"
    echo "| CPU during the outage (% of one core) | $CPU_OUTAGE |"
    echo "| delivery attempts recorded during the outage (all failed) | $ATTEMPTS_OUTAGE |"
    echo "| service VmRSS / VmHWM before the outage | $RSS_BEFORE MB |"
    echo "| service VmRSS / VmHWM at the end of the outage | $RSS_END MB |"
    echo "| highest VmRSS sampled during the outage (every 5 s) / during the drain | $RSS_MAX_OUTAGE / $RSS_PEAK_DRAIN MB |"
    echo "| data directory before → after the outage | $DB_BEFORE → $DB_END MB |"
    echo "| backlog in the database at the end of the outage | $PENDING pending: $DUE1 due within 1 min, $DUE6 in 1–6 min, $DUELATER later (last at +$((MAXDUE / 1000)) s) |"
    echo "| backlog by attempts so far | $BY_ATTEMPTS |"
    echo "| first delivery after the receiver returned | $(j "$OUTAGE_R" first_after_up_s) s |"
    echo "| outage events delivered 10 s / 60 s / 300 s / 310 s / 600 s after it returned | $(j "$OUTAGE_R" timeline.10) / $(j "$OUTAGE_R" timeline.60) / $(j "$OUTAGE_R" timeline.300) / $(j "$OUTAGE_R" timeline.310) / $(j "$OUTAGE_R" timeline.600) |"
    echo "| outage events delivered in all (waited $DRAIN_WAITED s of at most $DRAIN_MAX s) | $(j "$OUTAGE_R" delivered) of $(j "$GEN_OUTAGE" created) |"
    if [ "$STILL_PENDING" = 0 ]; then
      echo "| backlog drained (last outage event delivered) after the receiver returned | $(j "$OUTAGE_R" drain_s) s ($(j "$OUTAGE_R" after_rate) deliveries/s on average, waits for retries included) |"
    else
      echo "| backlog NOT drained: last outage delivery seen after the receiver returned | $(j "$OUTAGE_R" drain_s) s ($(j "$OUTAGE_R" after_rate) deliveries/s on average) |"
    fi
    echo "| deliveries still pending when the run stopped | $STILL_PENDING |"
    echo "| duplicates among outage events | $(j "$OUTAGE_R" duplicates) |"
    echo "| service VmRSS / VmHWM after the drain | $RSS_AFTER MB |"
  fi
  echo
  echo "Service log: $SERVICE_ERRORS lines at fail/crit level."
} > "$OUT"
cat "$OUT"
log "written to $OUT"
