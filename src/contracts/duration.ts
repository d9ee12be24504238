import { z } from 'zod';

/** A duration as Temporal takes it: a number and a unit, e.g. `90s`, `30m`, `2h`, `1d`. */
export const DurationSchema = z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration must be a number and a unit: ms, s, m, h or d (e.g. 30m, 2h, 1d)');

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds of a duration {@link DurationSchema} accepts. */
export function durationMs(duration: string): number {
  const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(duration) ?? [];
  if (amount === undefined || unit === undefined) throw new RangeError(`not a duration: ${duration}`);
  return Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
}
