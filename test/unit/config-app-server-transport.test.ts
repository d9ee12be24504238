import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CodexAppServer } from '../../src/host/codex-app-server';

// The transport's failure paths, driven by tiny scripts in codex's place (the real app-server's
// happy path and its errors are covered by test/integration/config-commands.test.ts).
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'app-server-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fakeServer(name: string, script: string) {
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\n${script}\n`);
  await chmod(file, 0o755);
  return { path: file, source: 'config' as const, pathDirs: [] };
}

describe('the codex app-server transport', () => {
  it('reports an app-server that exits, with the end of its stderr', async () => {
    const binary = await fakeServer('exits', 'echo "\\033[31mERROR\\033[0m no such subcommand: app-server" >&2; exit 2');
    await expect(CodexAppServer.start(binary)).rejects.toThrow('Codex app-server exited with code 2: ERROR no such subcommand: app-server');
  });

  it('reports output that is not JSON', async () => {
    const binary = await fakeServer('garbage', 'read line; echo "hello, I am not JSON"; exec sleep 5');
    await expect(CodexAppServer.start(binary)).rejects.toThrow('Codex app-server emitted invalid JSON: hello, I am not JSON');
  });

  it('rejects a request with the error the server answered', async () => {
    const binary = await fakeServer('refuses', 'read line; echo \'{"id":1,"error":{"code":-32600,"message":"unsupported client"}}\'; exec sleep 5');
    await expect(CodexAppServer.start(binary)).rejects.toThrow('unsupported client');
  });

  it('times out waiting for a notification that never comes, and is closed afterwards', async () => {
    const binary = await fakeServer('quiet', 'read line; echo \'{"id":1,"result":{}}\'; exec sleep 5');
    const server = await CodexAppServer.start(binary);
    await expect(server.waitForNotification('account/login/completed', () => true, 100)).rejects.toThrow('Timed out waiting for account/login/completed');
    server.close();
    await expect(server.request('account/read')).rejects.toThrow('Codex app-server transport is closed');
  });
});
