import { simpleGit } from 'simple-git';
import { ValidationError } from '../../src/client/errors';
import { CONTEXT_LIMITS } from '../../src/contracts/context-package';
import { useRunnerHarness } from '../support/runner-harness';
import { exec, say } from '../../src/scripted-model/scripted-model-server';

const harness = useRunnerHarness();

const contextPackage = {
  summary: 'The payments API uses snake_case JSON and never returns floats.',
  sources: [{ sourceId: 'api-guide', kind: 'repo_file' as const, label: 'API guide', uri: 'docs/api.md', summary: 'naming rules' }],
  artifacts: [{ artifactId: 'style-guide', kind: 'summary' as const, label: 'Style guide', mimeType: 'text/markdown', content: '# Style\nUse two spaces.\n' }],
};

describe('a context package', () => {
  it('reaches the agent: the summary and sources in its instructions, the artifact as a file it can read, not committed', async () => {
    const repo = await harness().makeRepo();
    harness().model.script({ when: 'context-marker', steps: [exec('cat .plato/context/style-guide.md > copied.txt'), say('copied')] });
    await harness().client.startTask({ taskId: 'with-context', repoPath: repo, prompt: 'Follow the style guide (context-marker)', contextPackage });
    const task = await harness().client.waitForTask('with-context');
    expect(task.state).toBe('completed');

    const request = harness().model.requests.find((recorded) => recorded.userText.includes('context-marker'));
    expect(request?.userText).toContain(contextPackage.summary);
    expect(request?.userText).toContain('[api-guide] API guide (repo_file) docs/api.md');
    expect(request?.userText).toContain('.plato/context/style-guide.md: Style guide (summary)');

    const git = simpleGit(repo);
    expect(await git.show([`plato/task-with-context:copied.txt`])).toBe('# Style\nUse two spaces.\n');
    const committed = (await git.raw(['ls-tree', '-r', '--name-only', 'plato/task-with-context'])).trim().split('\n');
    expect(committed).toEqual(['README.md', 'copied.txt']);
    expect(task.filesChanged).toEqual(['copied.txt']);
    expect(await harness().client.getContextPackage('with-context')).toEqual({ taskId: 'with-context', ...contextPackage });
    const written = (await harness().client.listEvents('with-context')).filter((event) => event.type === 'task.context.written');
    expect(written).toEqual([expect.objectContaining({ message: 'Context artifacts: .plato/context/style-guide.md' })]);
  });

  it('is given to graph children (their own, else the parent’s)', async () => {
    const repo = await harness().makeRepo();
    harness().model.script({ when: 'listing-marker-77', steps: [exec('ls .plato/context > listing.txt'), say('listed')] });
    await harness().client.createTaskGraph({
      parent: { taskId: 'context-graph', repoPath: repo, prompt: 'Graph with context', contextPackage },
      children: [{ taskId: 'context-child', prompt: 'List the context (listing-marker-77)' }],
    });
    expect((await harness().client.waitForTask('context-graph')).state).toBe('completed');
    expect(await simpleGit(repo).show(['plato/task-context-child:listing.txt'])).toBe('style-guide.md\n');
    // Read back from each workflow's input: the parent's, and the child's, which brought none of its own.
    expect(await harness().client.getContextPackage('context-graph')).toEqual({ taskId: 'context-graph', ...contextPackage });
    expect(await harness().client.getContextPackage('context-child')).toEqual({ taskId: 'context-child', ...contextPackage });
  });

  it('is absent from a task started without one, and reading it for an unknown task says so', async () => {
    const repo = await harness().makeRepo();
    harness().model.script({ when: 'no-context-marker', steps: [say('nothing to read')] });
    await harness().client.startTask({ taskId: 'without-context', repoPath: repo, prompt: 'Plain (no-context-marker)' });
    expect(await harness().client.getContextPackage('without-context')).toBeUndefined();
    await expect(harness().client.getContextPackage('no-such-task')).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
    await harness().client.waitForTask('without-context');
  });

  it('is refused when it is too large, naming the field, before anything is created', async () => {
    const repo = await harness().makeRepo();
    const big = { ...contextPackage, artifacts: [{ ...contextPackage.artifacts[0]!, content: 'x'.repeat(CONTEXT_LIMITS.artifactBytes + 1) }] };
    const attempt = harness().client.startTask({ taskId: 'too-big', repoPath: repo, prompt: 'x', contextPackage: big });
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(harness().client.startTask({ taskId: 'too-big', repoPath: repo, prompt: 'x', contextPackage: big })).rejects.toThrow(
      /contextPackage\.artifacts\.0\.content: an artifact's content must be at most 65536 bytes/,
    );
    await expect(harness().client.getTask('too-big')).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
  });
});
