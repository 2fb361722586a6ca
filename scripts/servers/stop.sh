#!/usr/bin/env bash
# Stops the servers scripts/servers/start.sh started, each by the pid it recorded.
set -uo pipefail
# Outside the clone: the postgres and mysql users must be able to reach it (a clone under /root is not).
state=${CONNECTLINKS_SERVERS_DIR:-/tmp/connectlinks-servers}
stop_pid_file() { # stop_pid_file FILE SIGNAL
  [ -f "$1" ] || return 0
  pid=$(head -1 "$1")
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$2" "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$1"
}
stop_pid_file "$state/pg/data/postmaster.pid" INT   # fast shutdown
stop_pid_file "$state/pg-tls/data/postmaster.pid" INT
stop_pid_file "$state/mysql/mysqld.pid" TERM
stop_pid_file "$state/redis/redis.pid" TERM
stop_pid_file "$state/s3/s3rver.pid" TERM
echo "stop.sh: servers stopped"
