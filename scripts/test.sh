#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need, then type-checks,
# lints and runs every test. This is the command the README and CI run.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
npm test
