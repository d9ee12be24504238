// The workflow bundle's entry point: every workflow this project registers.
export { taskWorkflow } from './task-workflow';
export { taskGraphWorkflow } from './task-graph-workflow';
