#!/usr/bin/env bash
# The project's test entry point (`npm test`); arguments are passed to jest.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

bash scripts/prepare.sh
# @openai/codex-sdk is ESM-only: a real dynamic import() under jest needs the VM modules API.
NODE_OPTIONS="${NODE_OPTIONS:-} --experimental-vm-modules --no-warnings=ExperimentalWarning" npx jest "$@"
