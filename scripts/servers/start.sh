#!/usr/bin/env bash
# Starts the real servers the connector tests talk to: PostgreSQL, MariaDB, redis and s3rver,
# each on loopback on an unusual port, in a state directory (default /tmp/connectlinks-servers).
# Installs what is missing (apt-get / npm; run as root). Idempotent: a server that already
# runs from this state directory is left alone. Appends `export NAME=value` lines to ENVFILE.
# Usage: scripts/servers/start.sh ENVFILE      Stop with: scripts/servers/stop.sh
set -euo pipefail

envfile=${1:?usage: start.sh ENVFILE}
# Outside the clone: the postgres and mysql users must be able to reach it (a clone under /root is not).
state=${CONNECTLINKS_SERVERS_DIR:-/tmp/connectlinks-servers}
mkdir -p "$state"
export DEBIAN_FRONTEND=noninteractive

PG_PORT=${CONNECTLINKS_TEST_PG_PORT:-55433}
PG_TLS_PORT=${CONNECTLINKS_TEST_PG_TLS_PORT:-55434}
MYSQL_PORT=${CONNECTLINKS_TEST_MYSQL_PORT:-53306}
REDIS_PORT=${CONNECTLINKS_TEST_REDIS_PORT:-56379}
S3_PORT=${CONNECTLINKS_TEST_S3_PORT:-54569}
# Test-only passwords for throwaway servers bound to 127.0.0.1.
PG_SUPER_PASSWORD=pg-super-pw
PG_APP_PASSWORD=pg-app-pw
MYSQL_APP_PASSWORD=mysql-app-pw
MYSQL_ADMIN_PASSWORD=mysql-admin-pw
REDIS_APP_PASSWORD=redis-app-pw

apt_updated=0
need_pkg() { # need_pkg BINARY PACKAGE...
  if [ ! -x "$1" ]; then
    if [ "$apt_updated" = 0 ]; then apt-get update -qq </dev/null; apt_updated=1; fi
    # Debian starts a package's system service on install (postgresql on 5432, mariadb on 3306,
    # redis on 6379); policy-rc.d exit 101 stops that, so only the servers below ever run.
    local policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      policy=/usr/sbin/policy-rc.d
      printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"
    fi
    apt-get install -y -qq --no-install-recommends "${@:2}" </dev/null >/dev/null
    if [ -n "$policy" ]; then rm -f "$policy"; fi
  fi
}
alive() { [ -f "$1" ] && kill -0 "$(head -1 "$1")" 2>/dev/null; }
wait_port() { # wait_port PORT NAME
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "start.sh: $2 did not open port $1" >&2; return 1
}

pgbin=/usr/lib/postgresql/15/bin
need_pkg "$pgbin/initdb" postgresql
need_pkg /usr/bin/redis-server redis-server
need_pkg /usr/sbin/mariadbd mariadb-server
need_pkg /usr/bin/openssl openssl
if [ ! -f "$state/s3/node_modules/s3rver/bin/s3rver.js" ]; then
  mkdir -p "$state/s3"
  (cd "$state/s3" && npm install --silent --no-audit --no-fund --prefix . s3rver@3.7.1 </dev/null >/dev/null)
fi

# PostgreSQL: password (SCRAM) auth over TCP, otherwise a wrong password would still connect.
pgd="$state/pg"
if ! alive "$pgd/data/postmaster.pid"; then
  if [ ! -f "$pgd/data/PG_VERSION" ]; then
    rm -rf "$pgd"; mkdir -p "$pgd"; chown postgres "$pgd"
    printf '%s\n' "$PG_SUPER_PASSWORD" > "$pgd/pwfile"; chown postgres "$pgd/pwfile"
    runuser -u postgres -- "$pgbin/initdb" -D "$pgd/data" -U postgres --pwfile="$pgd/pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 >/dev/null
  fi
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgd/data" -l "$pgd/log" \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $pgd" -w start >/dev/null
  runuser -u postgres -- psql -q -h "$pgd" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app') THEN
    CREATE ROLE app LOGIN PASSWORD '$PG_APP_PASSWORD';
  END IF;
END \$\$;
SELECT 'CREATE DATABASE appdb OWNER app' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'appdb')\gexec
SQL
fi

# A second PostgreSQL with TLS on (self-signed certificate), for the "TLS as requested" success path.
pgt="$state/pg-tls"
if ! alive "$pgt/data/postmaster.pid"; then
  if [ ! -f "$pgt/data/PG_VERSION" ]; then
    rm -rf "$pgt"; mkdir -p "$pgt"; chown postgres "$pgt"
    printf '%s\n' "$PG_SUPER_PASSWORD" > "$pgt/pwfile"; chown postgres "$pgt/pwfile"
    runuser -u postgres -- "$pgbin/initdb" -D "$pgt/data" -U postgres --pwfile="$pgt/pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 >/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost \
      -keyout "$pgt/data/server.key" -out "$pgt/data/server.crt" 2>/dev/null
    chown postgres "$pgt/data/server.key" "$pgt/data/server.crt"; chmod 600 "$pgt/data/server.key"
  fi
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgt/data" -l "$pgt/log" \
    -o "-c listen_addresses=127.0.0.1 -p $PG_TLS_PORT -k $pgt -c ssl=on" -w start >/dev/null
fi

# MariaDB: an app user for 127.0.0.1 (anonymous users would shadow 'app'@'%').
myd="$state/mysql"
if ! alive "$myd/mysqld.pid"; then
  if [ ! -d "$myd/data/mysql" ]; then
    rm -rf "$myd"; mkdir -p "$myd"; chown mysql "$myd"
    mariadb-install-db --user=mysql --datadir="$myd/data" --auth-root-authentication-method=socket \
      --skip-test-db >/dev/null 2>&1
  fi
  runuser -u mysql -- /usr/sbin/mariadbd --no-defaults --datadir="$myd/data" --bind-address=127.0.0.1 \
    --port="$MYSQL_PORT" --socket="$myd/mysqld.sock" --pid-file="$myd/mysqld.pid" \
    --log-error="$myd/error.log" --skip-name-resolve >/dev/null 2>&1 &
  wait_port "$MYSQL_PORT" mariadb
  mariadb --socket="$myd/mysqld.sock" -uroot <<SQL
DELETE FROM mysql.global_priv WHERE User = '';
CREATE DATABASE IF NOT EXISTS appdb;
CREATE USER IF NOT EXISTS 'app'@'%' IDENTIFIED BY '$MYSQL_APP_PASSWORD';
GRANT ALL PRIVILEGES ON appdb.* TO 'app'@'%';
CREATE USER IF NOT EXISTS 'admin'@'%' IDENTIFIED BY '$MYSQL_ADMIN_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO 'admin'@'%' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
fi

# redis: the default user is off so an unauthenticated client cannot get in.
rd="$state/redis"; mkdir -p "$rd"
if ! alive "$rd/redis.pid"; then
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save '' --dir "$rd" \
    --pidfile "$rd/redis.pid" --logfile "$rd/redis.log" \
    --user default off --user app on ">$REDIS_APP_PASSWORD" '~*' '&*' '+@all' >/dev/null
  wait_port "$REDIS_PORT" redis
fi

# s3rver with one bucket; it accepts access key S3RVER (and ignores the secret).
sd="$state/s3"
if ! alive "$sd/s3rver.pid"; then
  mkdir -p "$sd/data/probe-bucket"
  nohup node "$sd/node_modules/s3rver/bin/s3rver.js" -d "$sd/data" -a 127.0.0.1 -p "$S3_PORT" \
    >"$sd/s3rver.log" 2>&1 </dev/null &
  echo $! > "$sd/s3rver.pid"
  wait_port "$S3_PORT" s3rver
fi

cat >> "$envfile" <<ENV
export CONNECTLINKS_TEST_PG_HOST=127.0.0.1
export CONNECTLINKS_TEST_PG_PORT=$PG_PORT
export CONNECTLINKS_TEST_PG_DATABASE=appdb
export CONNECTLINKS_TEST_PG_USER=app
export CONNECTLINKS_TEST_PG_PASSWORD=$PG_APP_PASSWORD
export CONNECTLINKS_TEST_PG_SUPERUSER=postgres
export CONNECTLINKS_TEST_PG_SUPERUSER_PASSWORD=$PG_SUPER_PASSWORD
export CONNECTLINKS_TEST_PG_TLS_PORT=$PG_TLS_PORT
export CONNECTLINKS_TEST_MYSQL_HOST=127.0.0.1
export CONNECTLINKS_TEST_MYSQL_PORT=$MYSQL_PORT
export CONNECTLINKS_TEST_MYSQL_DATABASE=appdb
export CONNECTLINKS_TEST_MYSQL_USER=app
export CONNECTLINKS_TEST_MYSQL_PASSWORD=$MYSQL_APP_PASSWORD
export CONNECTLINKS_TEST_MYSQL_SUPERUSER=admin
export CONNECTLINKS_TEST_MYSQL_SUPERUSER_PASSWORD=$MYSQL_ADMIN_PASSWORD
export CONNECTLINKS_TEST_REDIS_HOST=127.0.0.1
export CONNECTLINKS_TEST_REDIS_PORT=$REDIS_PORT
export CONNECTLINKS_TEST_REDIS_USER=app
export CONNECTLINKS_TEST_REDIS_PASSWORD=$REDIS_APP_PASSWORD
export CONNECTLINKS_TEST_S3_URL=http://127.0.0.1:$S3_PORT
export CONNECTLINKS_TEST_S3_ACCESS_KEY_ID=S3RVER
export CONNECTLINKS_TEST_S3_SECRET_ACCESS_KEY=S3RVER
export CONNECTLINKS_TEST_S3_BUCKET=probe-bucket
ENV
echo "start.sh: PostgreSQL :$PG_PORT (TLS :$PG_TLS_PORT), MariaDB :$MYSQL_PORT, redis :$REDIS_PORT, s3rver :$S3_PORT (state in $state)"
