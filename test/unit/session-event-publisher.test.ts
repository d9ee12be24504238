import type { WorkflowHandle } from '@temporalio/client';
import { SessionEventPublisher } from '../../src/activities/session-event-publisher';
import type { SessionEventBatch, SessionEventInput } from '../../src/contracts/events';

/** Stands in for the workflow handle: records each signal's batch; fails the next `failures` signals. */
function fakeWorkflow(failures: number) {
  const delivered: SessionEventBatch[] = [];
  const handle = {
    signal: (_signal: unknown, batch: SessionEventBatch) => {
      if (failures-- > 0) return Promise.reject(new Error('server unavailable'));
      delivered.push(batch);
      return Promise.resolve();
    },
  } as unknown as WorkflowHandle;
  return { handle, delivered };
}

const item = (text: string): SessionEventInput => ({ type: 'session.item', at: '2026-11-29T10:00:00.000Z', message: text });

describe('SessionEventPublisher', () => {
  it("hands over what was not signalled, a failed signal's events first, in order", async () => {
    const { handle, delivered } = fakeWorkflow(1);
    const publisher = new SessionEventPublisher(handle, 2, () => undefined);
    publisher.push(item('one'));
    await expect(publisher.flush()).rejects.toThrow('server unavailable');
    publisher.push(item('two'));
    expect(await publisher.handOver()).toEqual({ attempt: 2, events: [item('one'), item('two')] });
    expect(delivered).toEqual([]);
  });

  it('hands over only what came after the last signal that got through', async () => {
    const { handle, delivered } = fakeWorkflow(0);
    const publisher = new SessionEventPublisher(handle, 1, () => undefined);
    publisher.push(item('one'));
    await publisher.flush();
    publisher.push(item('two'));
    expect(await publisher.handOver()).toEqual({ attempt: 1, events: [item('two')] });
    expect(delivered).toEqual([{ attempt: 1, events: [item('one')] }]);
  });
});
