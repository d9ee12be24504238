#!/bin/sh
# How a worker starts codex for a session when it runs sessions niced (src/host/codex-binary.ts,
# `codex-runner worker --session-nice`): the codex binary in CODEX_RUNNER_CODEX_BINARY,
# CODEX_RUNNER_SESSION_NICE steps below the worker's CPU priority, with the arguments the Codex
# SDK gave. Both variables are removed first; `exec` keeps the pid the SDK watches and stops.
# Without a `nice` command on PATH it runs codex at the worker's priority.
binary=${CODEX_RUNNER_CODEX_BINARY:?is not set: this script is for codex-runner workers}
steps=${CODEX_RUNNER_SESSION_NICE:?is not set: this script is for codex-runner workers}
unset CODEX_RUNNER_CODEX_BINARY CODEX_RUNNER_SESSION_NICE
if command -v nice >/dev/null 2>&1; then exec nice -n "$steps" "$binary" "$@"; fi
exec "$binary" "$@"
