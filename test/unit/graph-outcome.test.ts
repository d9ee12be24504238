import { ErrorCode } from '../../src/contracts/errors';
import type { TaskRecord } from '../../src/contracts/records';
import { describeMerge, graphFailure, synthesize, workerResult, type ChildOutcome } from '../../src/workflows/graph-outcome';

const record = (taskId: string, fields: Partial<TaskRecord> = {}): TaskRecord => ({
  taskId,
  repoPath: '/repo',
  prompt: `do ${taskId}`,
  priority: 0,
  state: 'completed',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...fields,
});
const completed = (taskId: string): ChildOutcome => ({
  taskId,
  state: 'completed',
  record: record(taskId, { commitSha: `sha-${taskId}`, filesChanged: [`${taskId}.txt`], finalMessage: `${taskId} done` }),
});
const failed = (taskId: string, code: ErrorCode, message = `${taskId} broke`): ChildOutcome => ({ taskId, state: 'failed', failure: { code, message } });
const branch = { branchName: 'plato/graph-g', commitSha: 'sha-graph', conflicts: [] };

describe('a child’s worker result', () => {
  it('is completed with the agent’s final message, its files and commit', () => {
    expect(workerResult('g', completed('a'))).toEqual({
      resultId: 'result-a',
      taskId: 'a',
      parentTaskId: 'g',
      classification: 'completed',
      summary: 'a done',
      filesChanged: ['a.txt'],
      commitSha: 'sha-a',
    });
  });

  it('is conflicted when its prerequisites’ work conflicts, failed otherwise, saying why', () => {
    expect(workerResult('g', failed('j', ErrorCode.graphMergeConflict))).toMatchObject({
      classification: 'conflicted',
      errorCode: 'TASK_GRAPH_MERGE_CONFLICT',
    });
    expect(workerResult('g', failed('b', ErrorCode.codexTurnFailed, 'the model said no'))).toMatchObject({
      classification: 'failed',
      summary: 'the model said no',
      errorCode: 'CODEX_TURN_FAILED',
      filesChanged: [],
    });
  });

  it('keeps a long summary under 2,000 characters', () => {
    const long = { ...completed('a'), record: record('a', { finalMessage: 'x'.repeat(5_000) }) };
    expect(workerResult('g', long).summary).toHaveLength(2_000);
  });
});

describe('the synthesis and the graph’s failure', () => {
  it('completes a graph whose children all completed and merged', () => {
    const results = [completed('a'), completed('b')].map((outcome) => workerResult('g', outcome));
    const synthesis = synthesize('g', results, branch);
    expect(synthesis).toMatchObject({ classification: 'completed', childTaskCount: 2, resultIds: ['result-a', 'result-b'], branchName: 'plato/graph-g' });
    expect(synthesis.summary).toContain('completed=2 partial=0 conflicted=0 failed=0');
    expect(graphFailure(results, branch, undefined)).toBeUndefined();
  });

  it('fails a graph with a failed child, naming the child that failed on its own, not the ones it blocked', () => {
    const results = [completed('a'), failed('b', ErrorCode.codexTurnFailed), failed('c', ErrorCode.graphDependencyFailed)].map((outcome) =>
      workerResult('g', outcome),
    );
    expect(synthesize('g', results, branch).classification).toBe('failed');
    const failure = graphFailure(results, branch, undefined);
    expect(failure?.code).toBe('TASK_GRAPH_CHILD_FAILED');
    expect(failure?.message).toBe('Graph failed because child tasks b, c did not complete: b CODEX_TURN_FAILED: b broke');
  });

  it('fails a graph whose children conflict on the graph branch, and one whose branch could not be written', () => {
    const results = [completed('a'), completed('b')].map((outcome) => workerResult('g', outcome));
    const conflicted = { ...branch, conflicts: [{ taskId: 'b', files: ['x.txt'] }] };
    expect(synthesize('g', results, conflicted).classification).toBe('conflicted');
    expect(graphFailure(results, conflicted, undefined)).toEqual({
      code: 'TASK_GRAPH_MERGE_CONFLICT',
      message: 'Graph failed because children conflict when merged: b (x.txt)',
    });
    const mergeFailure = { code: ErrorCode.graphMergeFailed, message: 'ref locked' };
    expect(synthesize('g', results, undefined, mergeFailure)).toMatchObject({ classification: 'failed', conflicts: [] });
    expect(graphFailure(results, undefined, mergeFailure)).toBe(mergeFailure);
  });

  it('says how many completed children the graph branch took', () => {
    expect(describeMerge({ ...branch, mergedTaskIds: ['a'], conflicts: [{ taskId: 'b', files: ['x.txt'] }] }, 2)).toBe(
      'Merged 1 of 2 completed children into plato/graph-g; conflicts: b (x.txt)',
    );
  });
});
