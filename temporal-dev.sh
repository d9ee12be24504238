#!/usr/bin/env bash
# Local Temporal dev server (with Web UI) for codex-runner, persisted under $PLATO_HOME/temporal-dev.
#
#   ./temporal-dev.sh start          start (idempotent) and print the address and UI URL
#   ./temporal-dev.sh stop           stop gracefully (SIGTERM, then SIGKILL after a grace period)
#   ./temporal-dev.sh status         exit 0 if running and healthy, 3 if not running, 1 if unhealthy
#   ./temporal-dev.sh cli ARGS...    run the pinned temporal CLI against this server
#   ./temporal-dev.sh help
#
# Environment:
#   PLATO_HOME                   state directory (default ~/.plato)
#   TEMPORAL_DEV_PORT            frontend gRPC port (default 7233)
#   TEMPORAL_DEV_UI_PORT         Web UI port (default 8233)
#   TEMPORAL_DEV_START_TIMEOUT   seconds to wait for the server to become healthy (default 60)
#   TEMPORAL_CLI                 use this temporal binary instead of installing the pinned one
set -euo pipefail

ROOT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
readonly ROOT_DIR
readonly PLATO_HOME="${PLATO_HOME:-${HOME}/.plato}"
readonly STATE_DIR="${PLATO_HOME}/temporal-dev"
readonly PID_FILE="${STATE_DIR}/server.pid"
readonly LOG_FILE="${STATE_DIR}/server.log"
readonly DB_FILE="${STATE_DIR}/temporal.db"
readonly IP='127.0.0.1'
readonly PORT="${TEMPORAL_DEV_PORT:-7233}"
readonly UI_PORT="${TEMPORAL_DEV_UI_PORT:-8233}"
readonly ADDRESS="${IP}:${PORT}"
readonly UI_URL="http://${IP}:${UI_PORT}"
readonly NAMESPACE='default'
readonly START_TIMEOUT="${TEMPORAL_DEV_START_TIMEOUT:-60}"
readonly STOP_GRACE_SECONDS=20
# Task histories are the audit trail of agent runs; the dev server's 24h default would delete
# closed runs overnight, so keep them for at least 30 days.
readonly RETENTION='720h'
readonly MIN_RETENTION_SECONDS=$((30 * 24 * 3600))
# Must match the search attributes the workflows upsert (and test/support/temporal-dev-server.ts).
readonly SEARCH_ATTRIBUTES=(
  'CodexTaskState=Keyword'
  'CodexParentTaskId=Keyword'
  'CodexRepoPath=Keyword'
  'CodexPriority=Int'
  'CodexHost=Keyword'
)

log() { printf '%s\n' "$*" >&2; }
die() {
  log "temporal-dev: $*"
  exit 1
}

require_number() { [[ "$2" =~ ^[0-9]+$ ]] || die "$1 must be a number, got '$2'"; }
require_number TEMPORAL_DEV_PORT "${PORT}"
require_number TEMPORAL_DEV_UI_PORT "${UI_PORT}"
require_number TEMPORAL_DEV_START_TIMEOUT "${START_TIMEOUT}"

TEMPORAL=''
# Resolved lazily: stop/help must work even when the CLI cannot be installed.
ensure_cli() {
  if [[ -z "${TEMPORAL}" ]]; then
    TEMPORAL="$(bash "${ROOT_DIR}/scripts/install-temporal-cli.sh")" || die 'could not install the Temporal CLI'
  fi
}

# Our own admin calls ignore the user's TEMPORAL_* env and CLI config file (an API key or TLS
# profile there would break talking to a plaintext local server); `cli` deliberately does not.
admin() {
  "${TEMPORAL}" --disable-config-file --disable-config-env \
    --address "${ADDRESS}" --command-timeout 10s "$@"
}

is_healthy() {
  local out
  out="$("${TEMPORAL}" operator cluster health --disable-config-file --disable-config-env \
    --address "${ADDRESS}" --command-timeout 2s 2>/dev/null)" || return 1
  [[ "${out}" == *SERVING* ]]
}

# Prints the pid of our server if the pid file points at a live `temporal server start-dev` on
# our database (so a recycled pid or another dev server is never signalled); a stale pid file is
# removed.
running_pid() {
  [[ -f "${PID_FILE}" ]] || return 1
  local pid args
  pid="$(<"${PID_FILE}")"
  if [[ "${pid}" =~ ^[0-9]+$ ]] && args="$(ps -p "${pid}" -o args= 2>/dev/null)" \
    && [[ "${args}" == *"server start-dev --db-filename ${DB_FILE} "* ]]; then
    printf '%s\n' "${pid}"
    return 0
  fi
  rm -f -- "${PID_FILE}"
  return 1
}

print_endpoints() {
  printf 'Temporal address: %s\n' "${ADDRESS}"
  printf 'Namespace:        %s\n' "${NAMESPACE}"
  printf 'Web UI:           %s\n' "${UI_URL}"
}

wait_until_healthy() {
  local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
  until is_healthy; do
    if ! kill -0 "${pid}" 2>/dev/null; then
      log "temporal-dev: server process ${pid} exited during startup; last log lines (${LOG_FILE}):"
      tail -n 40 -- "${LOG_FILE}" >&2 || true
      rm -f -- "${PID_FILE}"
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      log "temporal-dev: server not healthy at ${ADDRESS} after ${START_TIMEOUT}s; last log lines (${LOG_FILE}):"
      tail -n 40 -- "${LOG_FILE}" >&2 || true
      log "temporal-dev: the process (pid ${pid}) is still running; run '$0 stop' to stop it"
      exit 1
    fi
    sleep 0.2
  done
}

ensure_retention() {
  local described seconds
  described="$(admin operator namespace describe -n "${NAMESPACE}" -o json)" \
    || die "could not describe namespace ${NAMESPACE}"
  seconds="$(sed -n 's/.*"workflowExecutionRetentionTtl": *"\([0-9]*\)s".*/\1/p' <<<"${described}")"
  # Only raise it: a longer retention someone configured on purpose is left alone.
  if [[ -z "${seconds}" ]] || ((seconds < MIN_RETENTION_SECONDS)); then
    admin operator namespace update -n "${NAMESPACE}" --retention "${RETENTION}" >/dev/null \
      || die "could not set retention of namespace ${NAMESPACE}"
    log "temporal-dev: namespace ${NAMESPACE} retention set to ${RETENTION}"
  fi
}

# `start-dev --search-attribute` only applies when it creates the database, so attributes are
# (re)checked here to cover databases created before an attribute was added.
ensure_search_attributes() {
  local existing spec name type
  existing="$(admin operator search-attribute list -n "${NAMESPACE}" -o json)" \
    || die 'could not list search attributes'
  for spec in "${SEARCH_ATTRIBUTES[@]}"; do
    name="${spec%%=*}"
    type="${spec#*=}"
    if grep -q "\"${name}\":" <<<"${existing}"; then
      continue
    fi
    # One attribute per call: with several --name flags CLI 1.9.1 only registers the first one.
    admin operator search-attribute create -n "${NAMESPACE}" --name "${name}" --type "${type}" >/dev/null \
      || die "could not create search attribute ${name} (${type})"
    log "temporal-dev: created search attribute ${name} (${type})"
  done
}

cmd_start() {
  ensure_cli
  mkdir -p -- "${STATE_DIR}"
  local pid
  if pid="$(running_pid)"; then
    wait_until_healthy "${pid}"
    ensure_retention
    ensure_search_attributes
    printf 'Temporal dev server already running (pid %s)\n' "${pid}"
    print_endpoints
    return 0
  fi
  if is_healthy; then
    die "a Temporal server not managed by this script is already serving at ${ADDRESS}; stop it or set TEMPORAL_DEV_PORT"
  fi

  local -a args=(
    server start-dev
    --db-filename "${DB_FILE}"
    --ip "${IP}"
    --port "${PORT}"
    --ui-port "${UI_PORT}"
    # The sandbox has no internet; the UI news feed would only produce failed requests.
    --ui-disable-news-fetch
    # Tuned as the tests' and the benchmark's servers are (SERVER_TUNING_ARGS in
    # test/support/temporal-dev-server.ts; docs/decisions/0008-dev-server-tuning.md says why, and
    # a test checks that this server runs with them). WAL, synced at checkpoints: no journal file
    # and no fsync per transaction; a killed server loses nothing, a power cut its last ones.
    --sqlite-pragma journal_mode=wal
    --sqlite-pragma synchronous=normal
    # The history shard reads its transfer queue, which every hop between workflows goes
    # through, up to 100 times a second instead of 20 (at 20, up to 50 ms per hop).
    --dynamic-config-value history.transferProcessorMaxPollRPS=100
  )
  local spec
  for spec in "${SEARCH_ATTRIBUTES[@]}"; do
    args+=(--search-attribute "${spec}")
  done

  printf '\n=== %s: %s %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "${TEMPORAL}" "${args[*]}" >>"${LOG_FILE}"
  # setsid detaches the server from this terminal's process group so a later Ctrl-C there does
  # not take it down; all stdio is redirected so callers capturing our output do not hang on it.
  local -a launcher=(nohup)
  if command -v setsid >/dev/null 2>&1; then
    launcher=(setsid nohup)
  fi
  "${launcher[@]}" "${TEMPORAL}" "${args[@]}" </dev/null >>"${LOG_FILE}" 2>&1 &
  pid=$!
  printf '%s\n' "${pid}" >"${PID_FILE}"

  local started=${SECONDS}
  wait_until_healthy "${pid}"
  ensure_retention
  ensure_search_attributes
  printf 'Temporal dev server started (pid %s, healthy after ~%ss)\n' "${pid}" "$((SECONDS - started))"
  print_endpoints
  printf 'Database:         %s\n' "${DB_FILE}"
  printf 'Log:              %s\n' "${LOG_FILE}"
}

cmd_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    echo 'Temporal dev server is not running'
    return 0
  fi
  kill -TERM "${pid}" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_GRACE_SECONDS))
  while kill -0 "${pid}" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.2
  done
  if kill -0 "${pid}" 2>/dev/null; then
    log "temporal-dev: server (pid ${pid}) ignored SIGTERM for ${STOP_GRACE_SECONDS}s; sending SIGKILL"
    kill -KILL "${pid}" 2>/dev/null || true
    while kill -0 "${pid}" 2>/dev/null; do
      sleep 0.1
    done
  fi
  rm -f -- "${PID_FILE}"
  printf 'Temporal dev server stopped (pid %s)\n' "${pid}"
}

cmd_status() {
  local pid
  if ! pid="$(running_pid)"; then
    echo 'Temporal dev server: not running'
    print_endpoints
    return 3
  fi
  ensure_cli
  if is_healthy; then
    printf 'Temporal dev server: running and healthy (pid %s)\n' "${pid}"
    print_endpoints
    return 0
  fi
  printf 'Temporal dev server: running (pid %s) but NOT healthy; see %s\n' "${pid}" "${LOG_FILE}"
  print_endpoints
  return 1
}

cmd_cli() {
  ensure_cli
  export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-${ADDRESS}}"
  exec "${TEMPORAL}" "$@"
}

cmd_help() {
  sed -n '2,/^set -euo pipefail$/{/^set /d;s/^# \{0,1\}//;p}' -- "${BASH_SOURCE[0]}"
}

main() {
  local command="${1:-help}"
  (($# > 0)) && shift
  case "${command}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    cli) cmd_cli "$@" ;;
    help | -h | --help) cmd_help ;;
    *)
      log "temporal-dev: unknown command: ${command}"
      cmd_help >&2
      exit 2
      ;;
  esac
}

main "$@"
