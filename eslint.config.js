// @ts-check
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const { builtinModules } = require('node:module');

module.exports = tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.reference-system/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: __dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // jest's asymmetric matchers (expect.any, expect.stringContaining, …) are typed `any`.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    // Workflow code is replayed and must be deterministic: no Node built-ins (fs, child_process,
    // crypto, …) and no activity implementations — only their types through proxyActivities.
    files: ['src/workflows/**/*.ts', 'scripts/bench/floor-workflow.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [...builtinModules, ...builtinModules.map((name) => `node:${name}`)].map((name) => ({
            name,
            message: 'Workflow code must not use Node built-ins: move the side effect into an activity.',
          })),
          patterns: [
            { group: ['../activities/*', '!../activities/index'], message: 'Workflows import activity types only, through proxyActivities.' },
            { group: ['@openai/codex-sdk', 'simple-git'], allowTypeImports: true, message: 'Side-effecting libraries belong in activities.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', console: 'readonly', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // ES module scripts run by Node (the reference system's bench driver).
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: { console: 'readonly', process: 'readonly', setTimeout: 'readonly', performance: 'readonly' } },
  },
);
