#!/usr/bin/env bash
# `npm run bench`: the benchmark (not a test). Arguments go to scripts/bench.ts (`-- --quick`).
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

bash scripts/prepare.sh
exec npx tsx scripts/bench.ts "$@"
