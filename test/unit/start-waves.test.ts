import { START_WAVE_SIZE, startWaves } from '../../src/workflows/start-waves';

const child = (taskId: string) => ({ taskId });

describe('the waves a graph starts its children in', () => {
  it('starts everything at once when the ready children fit in the first wave', () => {
    const children = [child('a'), child('b'), child('after-a')];
    expect(startWaves(children, [child('b'), child('a')])).toEqual([children]);
  });

  it('starts the waiting children with the first ready ones, the other ready ones after, in their order', () => {
    const ready = Array.from({ length: 2 * START_WAVE_SIZE + 3 }, (_, i) => child(`r${i}`));
    const waiting = child('w');
    const waves = startWaves([waiting, ...ready], ready);
    expect(waves.map((wave) => wave.length)).toEqual([START_WAVE_SIZE + 1, START_WAVE_SIZE, 3]);
    expect(waves[0]).toEqual([waiting, ...ready.slice(0, START_WAVE_SIZE)]);
    expect(waves[2]).toEqual(ready.slice(-3));
  });
});
