import { polledRecently, WORKER_SEEN_MS } from '../../src/contracts/pollers';
import { HostLoad, RESERVATION_MS } from '../../src/activities/host-load';
import { hostNameFrom, hostNameProblem, hostTaskQueue, sessionTaskQueue } from '../../src/contracts/ids';

describe('HostLoad', () => {
  it('places tasks while a slot is free, counting those placed but not started, and frees a slot when a turn ends', async () => {
    const load = new HostLoad(2);
    expect(load.reserve('a')).toBe(true);
    expect(load.reserve('a')).toBe(true); // a retried placement of the same task takes no second slot
    expect(load.reserve('b')).toBe(true);
    expect(load.reserve('c')).toBe(false);
    let finish = () => {};
    const turn = load.around('a', () => new Promise<void>((resolve) => (finish = resolve)));
    expect(load.busy()).toBe(2); // a's reservation became its running turn
    expect(load.reserve('c')).toBe(false);
    finish();
    await turn;
    expect(load.busy()).toBe(1);
    expect(load.reserve('c')).toBe(true);
  });

  it('keeps a slot while its task gets ready, and frees it once the task shows no sign of itself for the reservation time', () => {
    let now = 0;
    const load = new HostLoad(1, () => now);
    expect(load.reserve('a')).toBe(true);
    now += RESERVATION_MS - 1;
    load.renew('a'); // a step of the task (its worktree) ran
    now += RESERVATION_MS - 1;
    expect(load.reserve('b')).toBe(false);
    load.renew('b'); // renewing never reserves
    now += 2;
    expect(load.reserve('b')).toBe(true);
  });

  it('counts a task once while a check and a turn of it overlap, until both end', async () => {
    const load = new HostLoad(1);
    let endCheck = () => {};
    const check = load.around('a', () => new Promise<void>((resolve) => (endCheck = resolve)));
    await load.around('a', () => Promise.resolve());
    expect(load.busy()).toBe(1);
    endCheck();
    await check;
    expect(load.busy()).toBe(0);
  });
});

describe('host names', () => {
  it('takes the first label of a hostname and makes what the rule refuses a dash', () => {
    expect(hostNameFrom('build-7.example.com')).toBe('build-7');
    expect(hostNameFrom('my host')).toBe('my-host');
    expect(hostNameFrom('_x')).toBe('x');
    expect(hostNameFrom('')).toBe('host');
    expect(hostNameProblem(hostNameFrom('über'))).toBeUndefined();
  });

  it('refuses a name that would not read well in a queue name', () => {
    expect(hostNameProblem('host-a')).toBeUndefined();
    expect(hostNameProblem('a/b')).toMatch(/^host name "a\/b" must start with a letter or digit/);
    expect(hostNameProblem('')).toBeDefined();
  });

  it("names the host's queues after the task queue", () => {
    expect(hostTaskQueue('codex-runner', 'host-a')).toBe('codex-runner@host-a');
    expect(hostTaskQueue(sessionTaskQueue('codex-runner'), 'host-a')).toBe('codex-runner-sessions@host-a');
  });
});

describe('a running worker (and so a live host)', () => {
  it('is one that polled its queue in the last 90 s', () => {
    const now = 1_000_000;
    expect(polledRecently(now - 10_000, now)).toBe(true);
    expect(polledRecently(now - WORKER_SEEN_MS - 1, now)).toBe(false);
    expect(polledRecently(undefined, now)).toBe(false);
  });
});
