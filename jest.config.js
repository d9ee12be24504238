/**
 * One jest config for unit and integration tests. Integration tests start their own Temporal dev
 * server, git repositories and scripted model server on free ports, so two can run side by side, and
 * get generous timeouts; the worker under test runs from `dist/` as its own process.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The CLI loads its commands' modules lazily with import('./module.js'), as Node resolves them
  // from dist/; under jest the same specifier names the .ts source.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: { warnOnly: false } }],
  },
  testTimeout: 120_000,
  // Two suites at a time: each spends most of its time waiting on codex, git and Temporal, not on CPU.
  maxWorkers: 2,
};
