#!/usr/bin/env bash
# PostgreSQL for the test suite, sourced by scripts/test.sh: installs PostgreSQL and PostGIS from
# Debian's packages when they are missing, starts the cluster when it is down, makes sure the
# test role exists (it creates a database per test, and PostGIS for the tests that use it), and
# exports DECONFLICT_TEST_PG (its URL) and DECONFLICT_REQUIRE_PG=1 (a PostgreSQL test that finds
# no server then fails instead of being skipped). Idempotent: a second run changes nothing.
# Set DECONFLICT_TEST_PG beforehand to test against another server; nothing here is done then.
if [ -z "${DECONFLICT_TEST_PG:-}" ]; then
  pg_role=deconflict
  pg_password=deconflict
  pg_port=5432
  pg_major() { { ls /usr/lib/postgresql 2>/dev/null || true; } | sort -n | tail -1; }
  major=$(pg_major)
  if [ -z "$major" ] || ! command -v pg_ctlcluster >/dev/null 2>&1 \
    || [ ! -f "/usr/share/postgresql/$major/extension/postgis.control" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
    major=$(pg_major)
    apt-get install -y -qq "postgresql-$major-postgis-3" >/dev/null
  fi
  # The Debian cluster of that major: created by the package, started when down.
  if ! pg_lsclusters -h "$major" main >/dev/null 2>&1 || [ -z "$(pg_lsclusters -h "$major" main)" ]; then
    pg_createcluster "$major" main --port "$pg_port" >/dev/null
  fi
  pg_port=$(pg_lsclusters -h "$major" main | awk '{print $3}')
  if ! pg_lsclusters -h "$major" main | grep -q online; then
    pg_ctlcluster "$major" main start
  fi
  # A login role with a password (the tests connect over TCP as the hub does), allowed to create
  # databases and extensions.
  (cd / && runuser -u postgres -- psql -p "$pg_port" -v ON_ERROR_STOP=1 -qc "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$pg_role') THEN
        CREATE ROLE $pg_role LOGIN PASSWORD '$pg_password' CREATEDB SUPERUSER;
      END IF; END \$\$;")
  export DECONFLICT_TEST_PG="postgres://$pg_role:$pg_password@127.0.0.1:$pg_port/postgres"
fi
export DECONFLICT_REQUIRE_PG=1
