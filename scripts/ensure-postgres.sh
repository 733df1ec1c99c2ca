#!/usr/bin/env bash
# Make sure a PostgreSQL answers on 127.0.0.1:5432 (user postgres, trust auth, database `test`):
# start the installed cluster if it is down, install Debian's postgresql if there is none.
# Used by .ci/run, where the report tests must run on PostgreSQL as well as DuckDB.
set -euo pipefail
host=127.0.0.1 port=5432

answers() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$host" -p "$port"; }

if ! answers; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "ensure-postgres: installing PostgreSQL from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  conf=/etc/postgresql/$version/main
  # Local trust auth on loopback, as the test URL carries no password.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$conf/pg_hba.conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$conf/pg_hba.conf"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster "$version" main start
  for _ in $(seq 1 30); do answers && break; sleep 1; done
fi
answers || { echo "ensure-postgres: PostgreSQL does not answer on $host:$port" >&2; exit 1; }
if ! psql -h "$host" -p "$port" -U postgres -d postgres -tAc "select 1 from pg_database where datname='test'" | grep -q 1; then
  psql -h "$host" -p "$port" -U postgres -d postgres -qc 'create database test'
fi
echo "postgresql://postgres@$host:$port/test"
