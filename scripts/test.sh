#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need, then type-checks,
# lints and runs every test. This is the command the README and CI run.
set -euo pipefail
cd "$(dirname "$0")/.."
# The console's browser tests drive Debian's Chromium (never a downloaded browser); the format
# tests open every export with GDAL (`ogrinfo`, `ogr2ogr`), the reference reader of the field.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v ogr2ogr >/dev/null 2>&1 || missing+=(gdal-bin)
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# PostgreSQL (and PostGIS) for the PostgreSQL store's tests: installed and started when missing.
# shellcheck source=scripts/test-postgres.sh
source scripts/test-postgres.sh
# `npm install` rather than `npm ci`: npm 11 writes lock files without the other platforms'
# optional packages (biome, esbuild) and then refuses them in `npm ci`. Versions are pinned
# exactly in package.json and the lock file, so the result is the same. It also builds the
# console (the `prepare` script).
npm install --no-audit --no-fund
npm test
