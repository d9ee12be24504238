import { isGitUrl, repoRefOf, repositoryOf, repositoryProblem } from '../../src/contracts/repository';
import { mirrorPathOf } from '../../src/host/repo-mirror';

describe('a task’s repository', () => {
  it.each(['https://github.com/acme/app.git', 'ssh://git@host/app', 'git@github.com:acme/app.git', 'file:///srv/git/app.git', 'git://host/app'])(
    'takes %s as a git URL',
    (url) => expect(isGitUrl(url)).toBe(true),
  );

  it.each(['/srv/git/app', './app', 'app', 'not a url', 'C:\\repos\\app', 'https://'])('does not take %s as a git URL', (value) =>
    expect(isGitUrl(value)).toBe(false),
  );

  it('is named exactly once, by its path or by its URL', () => {
    expect(repositoryProblem({ repoPath: '/r' })).toBeUndefined();
    expect(repositoryProblem({ repoUrl: 'file:///r.git' })).toBeUndefined();
    expect(repositoryProblem({ repoPath: '/r', repoUrl: 'file:///r.git' })).toMatch(/^repoPath, repoUrl: name the repository once/);
    expect(repositoryProblem({})).toMatch(/^repoPath: name the repository/);
  });

  it('is shown by its URL when it has one, and carries only its own fields', () => {
    expect(repositoryOf({ repoUrl: 'file:///r.git' })).toBe('file:///r.git');
    expect(repositoryOf({ repoPath: '/r' })).toBe('/r');
    expect(repoRefOf({ repoUrl: 'file:///r.git', taskId: 'a' } as never)).toEqual({ repoUrl: 'file:///r.git' });
    expect(repoRefOf({ repoPath: '/r', prompt: 'p' } as never)).toEqual({ repoPath: '/r' });
  });
});

describe('a host’s mirror of a repository', () => {
  it('is one directory per URL under the state directory, named after the repository', () => {
    const one = mirrorPathOf('https://github.com/acme/app.git', '/home/plato');
    expect(one).toMatch(/^\/home\/plato\/mirrors\/app-[0-9a-f]{12}\.git$/);
    expect(mirrorPathOf('https://github.com/acme/app.git', '/home/plato')).toBe(one);
    expect(mirrorPathOf('https://github.com/other/app.git', '/home/plato')).not.toBe(one);
    expect(mirrorPathOf('git@github.com:acme/my app', '/h')).toMatch(/\/mirrors\/my_app-[0-9a-f]{12}\.git$/);
  });
});
