/**
 * Ready children started together with the waiting ones; the other ready children follow in
 * waves of this many, each once the previous wave's starts are recorded. The server records
 * each child start in the parent's history, and when more than 100 such events arrive while one
 * of the parent's workflow tasks runs, it fails that task to flush them (`FORCE_CLOSE_COMMAND`)
 * and the worker replays the parent from its first event.
 */
export const START_WAVE_SIZE = 16;

/**
 * The waves a graph starts its children in. The first holds every child that waits for
 * prerequisites (so a dependent exists by the time its prerequisite completes: the server records
 * starts in no particular order, slowly under load) and the first ready ones, in input order;
 * the rest of the ready children follow in `ready`'s order (highest priority first).
 *
 * @param ready the children ready at the start, in the order they are to run.
 */
export function startWaves<T extends { taskId: string }>(children: readonly T[], ready: readonly T[], size = START_WAVE_SIZE): T[][] {
  const later = ready.slice(size);
  const laterIds = new Set(later.map((child) => child.taskId));
  const waves = [children.filter((child) => !laterIds.has(child.taskId))];
  for (let first = 0; first < later.length; first += size) waves.push(later.slice(first, first + size));
  return waves;
}
