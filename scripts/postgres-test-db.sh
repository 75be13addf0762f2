#!/usr/bin/env bash
# Start the Debian PostgreSQL cluster and make sure the hub test role and database exist.
# Prints the SQLAlchemy URL to use as CP_TEST_PG_URL, e.g.:
#   export CP_TEST_PG_URL="$(scripts/postgres-test-db.sh)"
#   .venv/bin/pytest tests/hub -q
# Env overrides: PG_VERSION (15), PG_CLUSTER (main), PG_PORT (5432),
# CP_PG_USER / CP_PG_PASSWORD / CP_PG_DB (counterpay / counterpay / counterpay_test).
set -euo pipefail
PG_VERSION="${PG_VERSION:-15}"
PG_CLUSTER="${PG_CLUSTER:-main}"
PG_PORT="${PG_PORT:-5432}"
USER_NAME="${CP_PG_USER:-counterpay}"
PASSWORD="${CP_PG_PASSWORD:-counterpay}"
DB_NAME="${CP_PG_DB:-counterpay_test}"

if ! pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c {found=1} END {exit !found}'; then
  pg_createcluster "$PG_VERSION" "$PG_CLUSTER" >&2
fi
if ! pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c && $4=="online" {found=1} END {exit !found}'; then
  pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start >&2
fi
# Wait until the server accepts connections (start returns before recovery ends sometimes).
for _ in $(seq 1 50); do
  if su postgres -c "psql -p $PG_PORT -tAc 'select 1'" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
psql_as_postgres() { su postgres -c "psql -p $PG_PORT -v ON_ERROR_STOP=1 -tAc \"$1\""; }
if [ "$(psql_as_postgres "select 1 from pg_roles where rolname='$USER_NAME'")" != "1" ]; then
  psql_as_postgres "create role $USER_NAME login password '$PASSWORD'" >&2
fi
if [ "$(psql_as_postgres "select 1 from pg_database where datname='$DB_NAME'")" != "1" ]; then
  psql_as_postgres "create database $DB_NAME owner $USER_NAME" >&2
fi
echo "postgresql+psycopg://$USER_NAME:$PASSWORD@127.0.0.1:$PG_PORT/$DB_NAME"
