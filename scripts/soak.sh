#!/usr/bin/env bash
# `npm run soak`: kill -9 the worker 30 times during 20-child graphs (not a test; ~10-15 minutes).
# Arguments go to scripts/soak.ts (`-- --kills 5 --seed 7`).
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

# A fresh clone has no node_modules: install exactly what the lockfile says.
[ -d node_modules/@temporalio/worker ] || npm ci --no-audit --no-fund
# Fail here, once, if the pinned Temporal CLI cannot be installed.
bash scripts/install-temporal-cli.sh >/dev/null
# The soak runs workers from dist/, so it must be freshly built.
npm run build --silent
exec npx tsx scripts/soak.ts "$@"
