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
  // A provider's count is taken as given, but never below zero: a negative one would buy budget.
  const total = usage.totalTokens ?? (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);
  return Number.isFinite(total) && total > 0 ? total : 0;
}

/** What the budget reads of one model call: an AI SDK step. */
export interface BudgetStep {
  usage?: TokenUsage | undefined;
  request?: { body?: unknown } | undefined;
  text?: string | undefined;
  toolCalls?: readonly { input?: unknown }[] | undefined;
}

/** Characters per token of the estimate: OpenAI's rule of thumb for English text. */
const CHARS_PER_TOKEN = 4;

/** Whether the provider said nothing of a step's usage (some self-hosted servers never do). */
export function usageMissing(usage: TokenUsage | undefined): boolean {
  return !usage || (usage.inputTokens === undefined && usage.outputTokens === undefined && usage.totalTokens === undefined);
}

/**
 * Tokens of one step: the provider's count or, when it gave none, an estimate from the
 * characters sent (the whole request: history, tools, results) and received. Without it a
 * provider that reports no usage could run a question past CHAT_MAX_TOKENS unchecked.
 */
export function stepTokens(step: BudgetStep): number {
  if (!usageMissing(step.usage)) return tokensOf(step.usage);
  const body = step.request?.body;
  const sent = typeof body === 'string' ? body.length : body === undefined ? 0 : (JSON.stringify(body)?.length ?? 0);
  const received = (step.text?.length ?? 0) + (step.toolCalls?.length ? JSON.stringify(step.toolCalls.map((c) => c.input ?? null)).length : 0);
  return Math.ceil((sent + received) / CHARS_PER_TOKEN);
}

/** Tokens of all steps so far, counted or estimated. */
export function usedTokens(steps: readonly BudgetStep[]): number {
  return steps.reduce((sum, step) => sum + stepTokens(step), 0);
}

/** Whether the steps so far used the whole budget (checked between steps, so one step may overshoot). */
export function overBudget(steps: readonly BudgetStep[], maxTokens: number): boolean {
  return usedTokens(steps) >= maxTokens;
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

/** Most characters of one tool result (as JSON) handed to the model: about 8k tokens. */
export const MAX_TOOL_RESULT_CHARS = 32_000;
/** Longest single text value handed to the model (a note, an HTML body, a base64 image). */
export const MAX_TOOL_TEXT_CHARS = 2_000;

/**
 * A tool result the model can take. Rows are capped by CHAT_MAX_ROWS, but not their size: one
 * record with a 2 MB note was sent whole to the provider, on every later turn of the conversation
 * too (history keeps tool results), far past the token budget, which is only checked between
 * steps. Long texts are cut first; a result still too large is handed over as the start of its
 * JSON text, marked truncated, so the model knows to ask for fewer rows or fields.
 */
export function fitToolResult(result: unknown, maxChars = MAX_TOOL_RESULT_CHARS, maxText = MAX_TOOL_TEXT_CHARS): unknown {
  const whole = JSON.stringify(result);
  if (whole === undefined || whole.length <= maxChars) return result;
  const cut = cutTexts(result, maxText);
  const text = JSON.stringify(cut);
  if (text.length <= maxChars) return cut;
  return {
    truncated: true,
    note: `The result was ${whole.length} characters; only its first ${maxChars} are shown. Ask for fewer rows or fields.`,
    partial: text.slice(0, maxChars),
  };
}

function cutTexts(value: unknown, maxText: number): unknown {
  if (typeof value === 'string') return value.length > maxText ? `${value.slice(0, maxText)}… [${value.length - maxText} more characters]` : value;
  if (Array.isArray(value)) return value.map((v) => cutTexts(v, maxText));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = cutTexts(v, maxText);
    return out;
  }
  return value;
}
