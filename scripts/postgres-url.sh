#!/usr/bin/env bash
# Print the URL of a PostgreSQL answering on 127.0.0.1:5432 with a `test` database, or nothing.
# The test suite runs its PostgreSQL tests when this prints a URL and skips them (visibly) when not.
set -u
host=127.0.0.1 port=5432 user=postgres db=test
command -v pg_isready >/dev/null 2>&1 || exit 0
pg_isready -q -h "$host" -p "$port" || exit 0
psql -h "$host" -p "$port" -U "$user" -d "$db" -tAc 'select 1' >/dev/null 2>&1 || exit 0
echo "postgresql://$user@$host:$port/$db"
