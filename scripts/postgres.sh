#!/usr/bin/env bash
# Starts or stops a private PostgreSQL 15 on loopback for the tests.
#   scripts/postgres.sh start DIR PORT   → prints a connection string on stdout
#   scripts/postgres.sh stop DIR
# Installs the Debian package when the server binaries are missing (run as root, as CI does).
set -euo pipefail
cmd=$1 dir=$2
bin=/usr/lib/postgresql/15/bin
case "$cmd" in
  start)
    port=$3
    if [ ! -x "$bin/initdb" ]; then
      echo "installing postgresql from Debian packages" >&2
      apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    fi
    mkdir -p "$dir"; chown postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1
    fi
    runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=1000 -c fsync=on" -w start >&2
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=50"
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      kill -INT "$(head -1 "$dir/data/postmaster.pid")" 2>/dev/null || true
      for _ in $(seq 50); do [ -f "$dir/data/postmaster.pid" ] || break; sleep 0.1; done
    fi
    ;;
  *) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
