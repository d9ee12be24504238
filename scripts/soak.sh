#!/usr/bin/env bash
# `npm run soak`: kill -9 the worker 30 times during 20-child graphs (not a test; ~10-15 minutes).
# Arguments go to scripts/soak.ts (`-- --kills 5 --seed 7`).
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

bash scripts/prepare.sh
exec npx tsx scripts/soak.ts "$@"
