import { readFileSync } from 'node:fs';
import { WORKFLOW_BUNDLE } from '../support/replay';

// WORKFLOW_BUNDLE is what a worker loads (npm test builds it before jest runs). Whether the
// workflows in it run correctly, zod preloaded and frozen, is proven by replaying recorded
// histories against it (replay-recorded-histories.test.ts) and by every integration test's worker.

/** The body of the bundled module `id`, from its `/***\/ "id"` header line to the next one. */
function bundledModule(code: string, id: string): string {
  const start = code.indexOf(`\n/***/ ${JSON.stringify(id)}\n`);
  if (start < 0) throw new Error(`${id} is not in the bundle`);
  const end = code.indexOf('\n/***/ "', start + 1);
  return code.slice(start, end < 0 ? undefined : end);
}

describe('workflow bundle', () => {
  const code = readFileSync(WORKFLOW_BUNDLE, 'utf8');

  it('loads zod once per workflow thread, through the preloaded module, not once per workflow', () => {
    const preload = code.match(/exports\.preloadModules = function preloadModules\(\) \{([^}]*)\}/);
    expect(preload?.[1]).toContain('"./dist/workflows/preload.js"');
    // zod marks itself free of side effects: a bare import would be dropped from the bundle.
    expect(bundledModule(code, './dist/workflows/preload.js')).toMatch(/__webpack_require__\(\/\*! zod \*\/ "[^"]*node_modules\/zod\/index\.cjs"\)/);
  });

  it('preloads zod alone: the SDK freezes what a preloaded module reaches, and a frozen schema of ours could not parse', () => {
    const preload = bundledModule(code, './dist/workflows/preload.js');
    const required = [...preload.matchAll(/__webpack_require__\([^)]*"([^"]+)"\)/g)].map((m) => m[1]);
    expect(required).toEqual([expect.stringMatching(/node_modules\/zod\/index\.cjs$/)]);
  });

  it('leaves the records’ schemas out: each workflow builds its own copy of every schema in its modules', () => {
    expect(code).not.toContain('\n/***/ "./dist/contracts/records.js"\n');
    expect(code).toContain('\n/***/ "./dist/contracts/events.js"\n');
  });
});
