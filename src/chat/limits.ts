/**
 * Pure rules that bound one chat request: rows per tool call, repeated tool calls, the token
 * budget, and the size and shape of a caller's JSON schema. Kept free of I/O so they are
 * tested without a model or an Odoo.
 */

/** The row limit a tool call actually uses: the model's wish, never above the relay's cap. */
export function effectiveLimit(requested: number | undefined, maxRows: number): number {
  if (requested === undefined || !Number.isFinite(requested) || requested <= 0) return maxRows;
  return Math.min(Math.floor(requested), maxRows);
}

/** How many identical tool calls (same tool, same arguments) count as a loop. */
export const REPEAT_LIMIT = 3;

/** Stable text of a tool call, so that the same call with keys in another order is recognised. */
export function toolCallSignature(tool: string, args: unknown): string {
  return `${tool}:${stableJson(args)}`;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Counts tool calls by signature; `seen()` says whether this one is over the repeat limit.
 * A model that asks the same question a third time is not going to learn anything new.
 */
export class RepeatDetector {
  private readonly counts = new Map<string, number>();

  seen(tool: string, args: unknown): { count: number; looping: boolean } {
    const key = toolCallSignature(tool, args);
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return { count, looping: count >= REPEAT_LIMIT };
  }
}

/** Token usage as the AI SDK reports it (fields may be missing when a provider does not say). */
export interface TokenUsage {
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  totalTokens?: number | undefined;
}

/** Total tokens of a usage record, falling back to input + output. */
export function tokensOf(usage: TokenUsage | undefined): number {
  if (!usage) return 0;
  return usage.totalTokens ?? (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);
}

/** Whether the steps so far used the whole budget (checked between steps, so one step may overshoot). */
export function overBudget(stepUsages: readonly (TokenUsage | undefined)[], maxTokens: number): boolean {
  return stepUsages.reduce((sum, u) => sum + tokensOf(u), 0) >= maxTokens;
}

/** Largest JSON schema a caller may send with `format: "json"`, in characters of compact JSON. */
export const MAX_SCHEMA_CHARS = 16_384;
const MAX_SCHEMA_DEPTH = 12;

/**
 * Checks a caller's output schema before it reaches a provider: an object schema (providers'
 * structured output modes need one at the top), bounded in size and depth, no remote `$ref`.
 * Returns a problem sentence, or null when the schema is acceptable.
 */
export function outputSchemaProblem(schema: unknown): string | null {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return 'schema must be a JSON Schema object';
  const text = JSON.stringify(schema);
  if (text.length > MAX_SCHEMA_CHARS) return `schema is too large (${text.length} characters, at most ${MAX_SCHEMA_CHARS})`;
  const s = schema as Record<string, unknown>;
  if (s.type !== 'object') return 'schema must have "type": "object" at the top (wrap a list in an object property)';
  if (typeof s.properties !== 'object' || s.properties === null || Array.isArray(s.properties)) return 'schema must declare "properties"';
  const deep = depthOf(schema);
  if (deep > MAX_SCHEMA_DEPTH) return `schema is nested too deeply (${deep} levels, at most ${MAX_SCHEMA_DEPTH})`;
  if (/"\$ref"\s*:\s*"(?!#)/.test(text)) return 'schema may only use local "$ref" (starting with #)';
  return null;
}

function depthOf(value: unknown): number {
  if (!value || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value as Record<string, unknown>);
  return 1 + children.reduce<number>((max, v) => Math.max(max, depthOf(v)), 0);
}
