import path from 'node:path';

/**
 * What goes into the workflow bundle: the workflows, and the modules every workflow of a worker
 * thread shares (see workflows/preload.ts). Used by scripts/bundle-workflows.js at build time and
 * by a worker that finds no prebuilt bundle, so both run the same code the same way.
 */
export const WORKFLOW_CODE = Object.freeze({
  workflowsPath: path.resolve(__dirname, '../workflows/index.js'),
  preloadModules: [path.resolve(__dirname, '../workflows/preload.js')],
});
