#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need, then type-checks,
# lints and runs every test. This is the command the README and CI run.
set -euo pipefail
cd "$(dirname "$0")/.."
# The console's browser tests drive Debian's Chromium (never a downloaded browser).
if ! command -v chromium >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
# `npm install` rather than `npm ci`: npm 11 writes lock files without the other platforms'
# optional packages (biome, esbuild) and then refuses them in `npm ci`. Versions are pinned
# exactly in package.json and the lock file, so the result is the same. It also builds the
# console (the `prepare` script).
npm install --no-audit --no-fund
npm test
