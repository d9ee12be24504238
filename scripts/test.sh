#!/usr/bin/env bash
# The project's test entry point (`npm test`); arguments are passed to jest.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

# A fresh clone has no node_modules: install exactly what the lockfile says.
[ -d node_modules/@temporalio/worker ] || npm ci --no-audit --no-fund

# Install the pinned Temporal CLI up front so a broken install fails here, once, with a clear
# message instead of inside every integration suite's beforeAll.
bash scripts/install-temporal-cli.sh >/dev/null
# Integration tests run the worker from dist/ as its own process, so it must be freshly built.
npm run build --silent
# @openai/codex-sdk is ESM-only: a real dynamic import() under jest needs the VM modules API.
NODE_OPTIONS="${NODE_OPTIONS:-} --experimental-vm-modules --no-warnings=ExperimentalWarning" npx jest "$@"
