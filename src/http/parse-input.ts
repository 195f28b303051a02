import type { z } from 'zod';
import { RelayError } from '../errors/index.js';
import { describeIssues } from '../actions/schema.js';

/** Parses a request part (body, query); a refusal names each bad field (`details.fields`, and `details.field`: the first one's top-level name, for forms). */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value ?? {});
  if (!r.success) {
    const { message, fields } = describeIssues(r.error);
    throw new RelayError('invalid_request', message, { field: fields[0]?.field.split('.')[0], fields });
  }
  return r.data;
}
