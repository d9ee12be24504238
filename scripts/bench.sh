#!/usr/bin/env bash
# `npm run bench`: the benchmark (not a test). Arguments go to scripts/bench.ts (`-- --quick`).
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

# A fresh clone has no node_modules: install exactly what the lockfile says.
[ -d node_modules/@temporalio/worker ] || npm ci --no-audit --no-fund
# Fail here, once, if the pinned Temporal CLI cannot be installed.
bash scripts/install-temporal-cli.sh >/dev/null
# The bench runs workers from dist/, so it must be freshly built.
npm run build --silent
exec npx tsx scripts/bench.ts "$@"
