import { SETTLEMENTS, settlementOf, type Settlement } from '../../src/cli/control-commands';
import { TASK_STATES } from '../../src/contracts/task-values';

/** The task states grouped by what the command's wait does in each. */
const statesWhere = (settlement: Settlement) => ({
  settled: TASK_STATES.filter((state) => settlementOf(settlement, state) === 'settled'),
  pending: TASK_STATES.filter((state) => settlementOf(settlement, state) === 'pending'),
  refused: TASK_STATES.filter((state) => settlementOf(settlement, state) === 'refused'),
});

describe('a control command waiting for its message to show', () => {
  it('interrupt: settles on interrupted, waits while queued or running, refuses at once otherwise (awaiting approval, ended)', () => {
    expect(statesWhere(SETTLEMENTS.interrupt)).toEqual({
      settled: ['interrupted'],
      pending: ['queued', 'running'],
      refused: ['awaiting_approval', 'completed', 'failed', 'cancelled'],
    });
  });

  it('resume: waits while interrupted; any other state is the task going on', () => {
    expect(statesWhere(SETTLEMENTS.resume)).toEqual({ settled: TASK_STATES.filter((state) => state !== 'interrupted'), pending: ['interrupted'], refused: [] });
  });

  it('cancel: settles on cancelled, waits while the task lives, refuses once it ended otherwise', () => {
    expect(statesWhere(SETTLEMENTS.cancel)).toEqual({
      settled: ['cancelled'],
      pending: ['queued', 'running', 'awaiting_approval', 'interrupted'],
      refused: ['completed', 'failed'],
    });
  });
});
