import { commitLabel } from '../../src/cli/output';

describe("a task's commit as printed", () => {
  const sha = 'a'.repeat(40);

  it('is the commit when the agent changed files', () => {
    expect(commitLabel({ commitSha: sha, filesChanged: ['a.txt'] })).toBe(sha);
  });

  it('says there is none when nothing changed, and names the base the branch stays at', () => {
    expect(commitLabel({ commitSha: sha, filesChanged: [] })).toBe(`none: nothing changed (the branch stays at its base ${sha})`);
  });

  it('is absent before the task committed', () => {
    expect(commitLabel({})).toBeUndefined();
  });
});
