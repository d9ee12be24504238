import { z } from 'zod';

/**
 * Limits that keep a context package from bloating history: it travels in the workflow input
 * (and a graph's input holds every child's), so it is bounded well under Temporal's 2 MB payload
 * limit. Larger material belongs in the repository, referenced as a source.
 */
export const CONTEXT_LIMITS = {
  summaryChars: 8_000,
  sources: 50,
  sourceSummaryChars: 2_000,
  artifacts: 20,
  artifactBytes: 64 * 1024,
  totalArtifactBytes: 256 * 1024,
} as const;

/** UTF-8 size; TextEncoder, not Buffer, because workflow code validates this too. */
function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

const ARTIFACT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Where a task's artifacts are written, relative to its worktree (`.plato/` is git-excluded). */
export const CONTEXT_DIR = '.plato/context';

export const ContextSourceSchema = z
  .object({
    sourceId: z.string().min(1).max(128),
    kind: z.enum(['repo_file', 'git_diff', 'task_brief', 'session_summary']),
    label: z.string().min(1).max(500),
    uri: z.string().min(1).max(2_000),
    summary: z.string().max(CONTEXT_LIMITS.sourceSummaryChars, `a source summary must be at most ${CONTEXT_LIMITS.sourceSummaryChars} characters`).optional(),
  })
  .strict();

export const ContextArtifactSchema = z
  .object({
    artifactId: z.string().regex(ARTIFACT_ID_PATTERN, 'artifactId becomes a file name: letters, digits, ".", "_" or "-" (at most 64)'),
    kind: z.enum(['summary', 'file_excerpt', 'patch']),
    label: z.string().min(1).max(500),
    mimeType: z.string().min(1).max(200),
    content: z.string().refine((content) => utf8Bytes(content) <= CONTEXT_LIMITS.artifactBytes, {
      message: `an artifact's content must be at most ${CONTEXT_LIMITS.artifactBytes} bytes; put larger material in the repository and cite it as a source`,
    }),
    summary: z.string().max(CONTEXT_LIMITS.sourceSummaryChars).optional(),
  })
  .strict();

/** The reference system's context package: what the agent should know before it starts. */
export const ContextPackageSchema = z
  .object({
    summary: z.string().max(CONTEXT_LIMITS.summaryChars, `summary must be at most ${CONTEXT_LIMITS.summaryChars} characters`).optional(),
    sources: z.array(ContextSourceSchema).max(CONTEXT_LIMITS.sources, `at most ${CONTEXT_LIMITS.sources} sources`).default([]),
    artifacts: z.array(ContextArtifactSchema).max(CONTEXT_LIMITS.artifacts, `at most ${CONTEXT_LIMITS.artifacts} artifacts`).default([]),
  })
  .strict()
  .refine((pkg) => pkg.artifacts.reduce((sum, artifact) => sum + utf8Bytes(artifact.content), 0) <= CONTEXT_LIMITS.totalArtifactBytes, {
    message: `artifacts must total at most ${CONTEXT_LIMITS.totalArtifactBytes} bytes`,
    path: ['artifacts'],
  })
  .refine((pkg) => new Set(pkg.artifacts.map((artifact) => artifact.artifactId)).size === pkg.artifacts.length, {
    message: 'artifact ids must be unique',
    path: ['artifacts'],
  });
export type ContextPackageInput = z.input<typeof ContextPackageSchema>;
export type ContextPackage = z.output<typeof ContextPackageSchema>;
export type ContextArtifact = z.output<typeof ContextArtifactSchema>;
/** A task's context package with the task's id (the reference's `ContextPackageRecord`). */
export type ContextPackageRecord = ContextPackage & { taskId: string };

const EXTENSIONS: Record<string, string> = {
  'text/markdown': '.md',
  'text/x-diff': '.patch',
  'text/x-patch': '.patch',
  'application/json': '.json',
};

/** The artifact's file, relative to the worktree. */
export function artifactPath(artifact: Pick<ContextArtifact, 'artifactId' | 'mimeType' | 'kind'>): string {
  const extension = EXTENSIONS[artifact.mimeType] ?? (artifact.kind === 'patch' ? '.patch' : '.txt');
  return `${CONTEXT_DIR}/${artifact.artifactId}${artifact.artifactId.endsWith(extension) ? '' : extension}`;
}

/**
 * The instructions that hand a context package to the agent: the summary, the sources to cite by
 * id, and where the artifacts are in its working directory (readable, never committed).
 */
export function contextInstructions(pkg: ContextPackage): string {
  const parts: string[] = [];
  if (pkg.summary) parts.push(`Context for this task:\n${pkg.summary}`);
  if (pkg.sources.length > 0) {
    parts.push(
      [
        'Sources (cite them by their id, e.g. [source-id], when your work relies on them):',
        ...pkg.sources.map((source) => `- [${source.sourceId}] ${source.label} (${source.kind}) ${source.uri}${source.summary ? `: ${source.summary}` : ''}`),
      ].join('\n'),
    );
  }
  if (pkg.artifacts.length > 0) {
    parts.push(
      [
        `Artifacts, in your working directory under ${CONTEXT_DIR}/ (read them; they are not part of the repository and are not committed):`,
        ...pkg.artifacts.map(
          (artifact) => `- ${artifactPath(artifact)}: ${artifact.label} (${artifact.kind})${artifact.summary ? `: ${artifact.summary}` : ''}`,
        ),
      ].join('\n'),
    );
  }
  return parts.join('\n\n');
}
