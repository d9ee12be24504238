#!/usr/bin/env bash
# What every entry point (test, demo, bench, soak, test:package) needs first, from a fresh clone:
# the npm packages of the lockfile, the pinned Temporal CLI (so a broken install fails here,
# once, with a clear message), and a fresh build (workers run from dist/).
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

[ -d node_modules/@temporalio/worker ] || npm ci --no-audit --no-fund
bash scripts/install-temporal-cli.sh >/dev/null
npm run build --silent
