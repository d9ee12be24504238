import type { z } from 'zod';

/** Renders zod issues as one line a person can act on: `field: problem; field: problem`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join('.') : 'input';
      if (issue.code === 'unrecognized_keys') {
        return `${field}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')} (remove ${issue.keys.length > 1 ? 'them' : 'it'})`;
      }
      // zod words a missing field as a value of the wrong type ("received undefined").
      if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return `${field}: required (${issue.expected})`;
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}
