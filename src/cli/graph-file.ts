import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ValidationError } from '../client/errors';
import type { CreateTaskGraphInput } from '../contracts/graph';
import { describeIssues } from '../contracts/validation';
import { readOptionFile } from './input-files';

/**
 * The shape of `--file` before it is merged with the flags: the client input's top level, each
 * part checked for its kind (the client validates their fields once they are merged).
 */
const GraphFileSchema = z
  .object({
    parent: z.object({}).passthrough().optional(),
    children: z.array(z.object({}).passthrough()).optional(),
    maxConcurrentTasks: z.unknown().optional(),
    requireApproval: z.unknown().optional(),
    approvalTimeout: z.unknown().optional(),
  })
  .strict();

/** Reads `--file graph.json|graph.yaml`: the same `{ parent, children }` shape as the client input. */
export async function readGraphFile(file: string): Promise<Partial<CreateTaskGraphInput>> {
  const text = await readOptionFile('--file', file);
  const yaml = /\.ya?ml$/i.test(file);
  let value: unknown;
  try {
    // YAML's merge keys (`<<: *defaults`) let a graph share a child's fields.
    value = yaml ? parseYaml(text, { merge: true }) : JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`--file: ${file} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(
      `--file: ${file} must hold an object with parent and children, not ${Array.isArray(value) ? 'a list' : value === null ? 'nothing' : `a ${typeof value}`}`,
    );
  }
  const parsed = GraphFileSchema.safeParse(value);
  if (!parsed.success) throw new ValidationError(`--file: ${file}: ${describeIssues(parsed.error)}`);
  return parsed.data as Partial<CreateTaskGraphInput>;
}
