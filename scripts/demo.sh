#!/usr/bin/env bash
# `npm run demo`: runs a small real task graph on the embedded Temporal dev server, from a fresh clone.
# Installs what it needs (npm packages, the pinned Temporal CLI), builds, starts the dev server
# (it keeps running afterwards so you can look around in the Web UI; `./temporal-dev.sh stop`).
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

bash scripts/prepare.sh
./temporal-dev.sh start
exec npx tsx scripts/demo.ts "$@"
