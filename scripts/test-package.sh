#!/usr/bin/env bash
# `npm run test:package`: packs codex-runner as a user would get it, installs the tarball into a
# fresh TypeScript project in a temp folder, and proves that an ES module and a CommonJS module
# both import the client library and the orchestration contracts with types (tsc --noEmit with
# `module: nodenext`), run, and get the typed errors; that the `codex-runner` bin runs; and that,
# installed globally, it runs from any directory.
# Slow-ish (the tarball brings @openai/codex, ~400 MB, from the npm cache), hence its own script.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
started=$SECONDS

bash scripts/prepare.sh

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/codex-runner-package-XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
TARBALL=$(npm pack --silent --pack-destination "$SCRATCH" | tail -n 1)
echo "packed $TARBALL ($(du -h "$SCRATCH/$TARBALL" | cut -f1))"

version() { node -p "require('$ROOT/package.json').$1['$2']"; }
cd "$SCRATCH"
cat > package.json <<'JSON'
{ "name": "codex-runner-consumer", "version": "1.0.0", "private": true }
JSON
npm install --prefer-offline --no-audit --no-fund --loglevel=error \
  "./$TARBALL" \
  "@temporalio/client@$(version dependencies @temporalio/client)" \
  "typescript@$(version devDependencies typescript)" \
  "@types/node@$(version devDependencies @types/node)"

# skipLibCheck as `tsc --init` sets it: @temporalio/common's own .d.ts files need @types/ms
# otherwise. Our declarations are still what the imports below are checked against.
cat > tsconfig.json <<'JSON'
{
  "compilerOptions": {
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "target": "ES2022",
    "strict": true,
    "noEmit": true,
    "skipLibCheck": true,
    "types": ["node"]
  },
  "files": ["consumer.mts", "consumer.cts", "plato-callers.mts"]
}
JSON
# Code written against the reference's @plato/orchestration interfaces (test/types), against the
# installed package's declarations.
sed "s#'../../src/index'#'codex-runner'#" "$ROOT/test/types/plato-orchestration-callers.ts" > plato-callers.mts
grep -q "from 'codex-runner'" plato-callers.mts || { echo "plato-callers.mts does not import codex-runner" >&2; exit 1; }

# One body for both module systems; only the import line differs.
body() {
  cat <<'TS'
async function main(label: string): Promise<void> {
  const client = new CodexRunnerClient(new Client({ namespace: 'default' }));
  const page: ListTasksPageOptions = { state: 'queued', pageSize: 10 };
  // @ts-expect-error the package's types are real: a task state is one of the known states
  const wrong: ListTasksPageOptions = { state: 'sleeping' };
  void wrong;
  const runtime = new CodexRunnerAgentRuntime({ client });
  const service = new TaskOrchestrationService({ defaultRuntimeId: runtime.runtimeId, runtimes: [runtime] });
  const parsed = StartOrchestrationTaskInputSchema.safeParse({ workspacePath: '/repo', prompt: 'hello' });
  const start: StartOrchestrationTaskRequest = { workspacePath: '/repo', prompt: 'hi', agent: { runtimeId: 'codex' } };
  void start;
  if (!parsed.success || service.listRuntimes()[0]?.backend !== 'codex' || typeof client.listTasksPage !== 'function' || page.pageSize !== 10) {
    throw new Error(`${label}: the package's exports do not behave`);
  }
  try {
    await CodexRunnerClient.connect();
    throw new Error(`${label}: connect should fail without a Temporal server`);
  } catch (error) {
    if (!(error instanceof TemporalUnavailableError) || error.code !== 'TEMPORAL_UNAVAILABLE') throw error;
  }
  console.log(`${label}: imported CodexRunnerClient, the orchestration service and the typed errors`);
}
TS
}
{
  echo "import { Client } from '@temporalio/client';"
  echo "import { CodexRunnerAgentRuntime, CodexRunnerClient, StartOrchestrationTaskInputSchema, TaskOrchestrationService, TemporalUnavailableError, type ListTasksPageOptions, type StartOrchestrationTaskRequest } from 'codex-runner';"
  body
  echo "await main('ESM');"
} > consumer.mts
{
  echo "import { Client } from '@temporalio/client';"
  echo "import { CodexRunnerAgentRuntime, CodexRunnerClient, StartOrchestrationTaskInputSchema, TaskOrchestrationService, TemporalUnavailableError, type ListTasksPageOptions, type StartOrchestrationTaskRequest } from 'codex-runner';"
  body
  echo "main('CommonJS').catch((error) => { console.error(error); process.exitCode = 1; });"
} > consumer.cts

npx tsc -p tsconfig.json
echo "tsc: both modules, and the Plato-side callers of the orchestration interfaces, type-check against the installed package"
# Node runs the same sources once tsc has stripped the types (emit JavaScript next to them).
npx tsc -p tsconfig.json --noEmit false --outDir out
export TEMPORAL_ADDRESS=127.0.0.1:1
node out/consumer.mjs
node out/consumer.cjs
node -e "const m = require('codex-runner'); if (typeof m.CodexRunnerClient !== 'function') process.exit(1)"
# (`check || fail`, not `check && echo`: set -e does not stop at a failed command before &&.)
fail() { echo "package test FAILED: $1" >&2; exit 1; }
npx codex-runner --help | grep -q '^  mcp ' || fail "codex-runner --help does not list mcp"
echo "bin: codex-runner --help lists mcp"
# The MCP server as an MCP client starts it in a fresh project (`npx codex-runner mcp`), here with no
# Temporal to reach: it lists its tools, and a call says TEMPORAL_UNAVAILABLE.
cat > mcp-client.mjs <<'JS'
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
const client = new Client({ name: 'package-test', version: '1.0.0' });
await client.connect(new StdioClientTransport({ command: 'npx', args: ['codex-runner', 'mcp'], env: { ...process.env }, stderr: 'ignore' }));
const { tools } = await client.listTools();
const call = await client.callTool({ name: 'plato.list_tasks', arguments: {} });
await client.close();
const answer = call.content[0].text;
if (!tools.some((tool) => tool.name === 'plato.wait_for_task') || !call.isError || !answer.startsWith('TEMPORAL_UNAVAILABLE: ')) {
  console.error(JSON.stringify({ tools: tools.map((tool) => tool.name), answer }));
  process.exit(1);
}
console.log(`npx codex-runner mcp: ${tools.length} tools listed with no Temporal; a call answers TEMPORAL_UNAVAILABLE`);
JS
node mcp-client.mjs || fail "npx codex-runner mcp does not serve its tools from the installed package"
# Workers start codex through this script (worker --session-nice): it must arrive executable.
[ "$(CODEX_RUNNER_CODEX_BINARY=/bin/echo CODEX_RUNNER_SESSION_NICE=5 node_modules/codex-runner/scripts/codex-niced.sh started)" = started ] ||
  fail "node_modules/codex-runner/scripts/codex-niced.sh does not run the binary it is given"
echo "scripts/codex-niced.sh: installed executable, runs the binary it is given"
# Installed globally, the bin runs from any directory (outside a project that has it, npx would
# look the name up in the registry instead).
npm install -g --prefix "$SCRATCH/global" --prefer-offline --no-audit --no-fund --loglevel=error "$SCRATCH/$TARBALL"
(cd / && "$SCRATCH/global/bin/codex-runner" --help) | grep -q '^  worker ' || fail "the globally installed codex-runner does not run from /"
(cd "$SCRATCH/global" && "$SCRATCH/global/bin/codex-runner" start --help) | tr -s ' \n' ' ' | grep -q -- '--repo-path <path> git repository to work in (default: the current directory)' ||
  fail "the globally installed codex-runner start --help does not say --repo-path defaults to the current directory"
echo "global install: codex-runner runs from any directory"
echo "package test passed in $((SECONDS - started)) s"
