/**
 * The Odoo tools the chat agent and the MCP server offer. Each tool is one ORM method on the
 * caller's Odoo, checked by the same scope and allow-list rules as `execute_method`
 * (`checkMethodAccess`), bounded in rows, timed and recorded as a step.
 */
import { z } from 'zod';
import { grantOf, type Caller } from '../auth/caller.js';
import { matchesAllowList, scopesAllowMethod } from '../auth/scopes.js';
import { checkMethodAccess } from '../actions/execute-method.js';
import { linkedModelsRefusal, type FieldsOf } from '../actions/linked-models.js';
import { isErrorCode, RelayError, statusOf } from '../errors/index.js';
import { fromOdooError } from '../http/error-handler.js';
import { OdooError, type OdooClient } from '../odoo/index.js';
import type { TtlCache } from '../cache/ttl-cache.js';
import { effectiveLimit, RepeatDetector } from './limits.js';
import { MODEL_NAME } from '../odoo/names.js';

/** One tool call as the response's `steps` and the request log show it. */
export interface ToolStep {
  tool: string;
  args: unknown;
  rowCount: number | null;
  durationMs: number;
  /** Odoo round-trip time of this call, when it reached Odoo. */
  odooMs?: number;
  model?: string;
  method?: string;
  /** Set when the call failed: the relay code and, for the model's benefit, what went wrong. */
  error?: { code: string; message: string };
}

/** What a tool hands back: `result` goes to the model; `rows` are the records an answer may rest on. */
export interface ToolOutput {
  result: unknown;
  rows?: unknown[];
  rowCount: number | null;
}

/** Everything a tool call needs about who is asking and where. */
export interface ToolEnv {
  caller: Caller;
  client: OdooClient;
  /** Cache key part: field descriptions are per Odoo connection. */
  connectionId: string;
  maxRowsPerCall: number;
  allowWrites: boolean;
  fieldsCache: TtlCache<Record<string, unknown>>;
  /** Field types of the caller's Odoo, for the allow-list check of values, domains and orders that reach other models. */
  relations: FieldsOf;
  /** Called once per tool call, after it ends (request log, response steps). */
  onStep(step: ToolStep): void;
  /** Called before a writing call is sent to Odoo: from then on the request may have changed data. */
  onWriteSent?(): void;
  repeats?: RepeatDetector;
}

/**
 * A refusal that ends the whole run instead of going back to the model: the caller's access
 * rules said no, the model is looping, or Odoo itself is not answering.
 */
export class ChatStop extends Error {
  constructor(readonly relayError: RelayError) {
    super(relayError.message);
    this.name = 'ChatStop';
  }
}

// Odoo names: dotted lowercase identifiers; fields: Python identifiers (no dunder tricks needed).
const modelName = z
  .string()
  .regex(MODEL_NAME, 'model must be an Odoo model name such as res.partner')
  .max(128)
  .describe('Odoo model technical name, e.g. res.partner, sale.order, account.move');
const fieldName = z.string().regex(/^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)?$/, 'field names are lowercase identifiers').max(128);
const domainItem = z.union([z.enum(['&', '|', '!']), z.array(z.unknown()).length(3)]);
const domain = z
  .array(domainItem)
  .max(50)
  .default([])
  .describe('Odoo domain: a list of [field, operator, value] conditions (AND-ed), optionally with "|", "&", "!" prefix operators. [] matches all.');
const values = z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/), z.unknown()).describe('Field values, e.g. {"name": "Acme", "email": "a@acme.com"}');

export const toolInputs = {
  list_models: z.object({
    search: z.string().max(64).optional().describe('Text to look for in model names or descriptions, e.g. "invoice"'),
  }),
  describe_model: z.object({ model: modelName }),
  search_read: z.object({
    model: modelName,
    domain,
    fields: z.array(fieldName).min(1).max(40).describe('Fields to return; always name them (describe_model lists them)'),
    order: z.string().regex(/^[a-z_][a-z0-9_]*( (asc|desc))?(, ?[a-z_][a-z0-9_]*( (asc|desc))?)*$/i).max(200).optional().describe('e.g. "date_order desc"'),
    limit: z.number().int().min(1).optional().describe('Most rows to return (capped by the relay)'),
    offset: z.number().int().min(0).optional(),
  }),
  search_count: z.object({ model: modelName, domain }),
  read_group: z.object({
    model: modelName,
    domain,
    groupby: z.array(z.string().regex(/^[a-z_][a-z0-9_]*(:(day|week|month|quarter|year))?$/)).min(1).max(3).describe('Fields to group by, e.g. ["partner_id"] or ["date_order:month"]'),
    aggregates: z
      .array(z.string().regex(/^[a-z_][a-z0-9_]*(:(sum|avg|min|max|count|count_distinct))?$/))
      .max(20)
      .default([])
      .describe('Aggregated fields, e.g. ["amount_residual:sum"]'),
    // Checked like search_read's order: Odoo splices it into its SQL (after its own checks).
    orderby: z
      .string()
      .regex(/^[a-z_][a-z0-9_]*(:[a-z_]+)?( (asc|desc))?(, ?[a-z_][a-z0-9_]*(:[a-z_]+)?( (asc|desc))?)*$/i)
      .max(200)
      .optional()
      .describe('e.g. "amount_residual desc"'),
    limit: z.number().int().min(1).optional(),
  }),
  create: z.object({ model: modelName, values }),
  write: z.object({ model: modelName, ids: z.array(z.number().int().positive()).min(1).max(100), values }),
} as const;

export type ToolName = keyof typeof toolInputs;

/** A tool: its input shape, whether it changes data, and how it runs. */
export interface OdooTool<N extends ToolName = ToolName> {
  name: N;
  description: string;
  input: (typeof toolInputs)[N];
  writes: boolean;
  /** The ORM method the tool calls, checked against the key's scopes and allow-lists. */
  method: string;
  run(env: ToolEnv, input: z.infer<(typeof toolInputs)[N]>): Promise<ToolOutput>;
}

const FIELD_ATTRIBUTES = ['string', 'type', 'relation', 'selection', 'required', 'readonly'];

const LIST_MODELS_LIMIT = 500;

/**
 * A model allow-list as an ir.model domain (empty for no list, or one with `*`): exact names by
 * `=`, `sale.*` by `=like 'sale.%'` with LIKE's own wildcards in the prefix escaped.
 */
export function allowListDomain(allowed: readonly string[] | null): unknown[] {
  if (!allowed || allowed.length === 0 || allowed.includes('*')) return [];
  const leaves = allowed.map((entry) =>
    entry.endsWith('.*') ? ['model', '=like', `${entry.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`)}%`] : ['model', '=', entry],
  );
  return [...Array<string>(leaves.length - 1).fill('|'), ...leaves];
}

export const odooTools: { [N in ToolName]: OdooTool<N> } = {
  list_models: {
    name: 'list_models',
    description: 'List the Odoo models this key may query (technical name and description), optionally filtered by a search text.',
    input: toolInputs.list_models,
    writes: false,
    method: 'search_read',
    async run(env, input) {
      const d: unknown[] = [['transient', '=', false]];
      if (input.search) d.push('|', ['model', 'ilike', input.search], ['name', 'ilike', input.search]);
      // The allow-list goes into the domain: filtered after a limit, a key's models could all fall
      // past the first 500 of a big database and the list came back empty, "not truncated".
      const allowed = grantOf(env.caller)?.allowedModels ?? null;
      d.push(...allowListDomain(allowed));
      const rows = (await env.client.executeKw('ir.model', 'search_read', [d], { fields: ['model', 'name'], order: 'model', limit: LIST_MODELS_LIMIT })) as {
        model: string;
        name: string;
      }[];
      const visible = rows.filter((r) => matchesAllowList(allowed, r.model)).map((r) => ({ model: r.model, name: r.name }));
      const shown = visible.slice(0, env.maxRowsPerCall * 4);
      return { result: { models: shown, truncated: shown.length < visible.length || rows.length === LIST_MODELS_LIMIT }, rowCount: shown.length };
    },
  },
  describe_model: {
    name: 'describe_model',
    description: "Describe a model's fields (name → type, label, relation, selection values). Call it before querying a model you have not used yet.",
    input: toolInputs.describe_model,
    writes: false,
    method: 'fields_get',
    async run(env, input) {
      const fields = await env.fieldsCache.getOrLoad(`${env.connectionId}|${input.model}`, async () =>
        compactFields((await env.client.executeKw(input.model, 'fields_get', [], { attributes: FIELD_ATTRIBUTES })) as Record<string, any>),
      );
      return { result: { model: input.model, fields }, rowCount: Object.keys(fields).length };
    },
  },
  search_read: {
    name: 'search_read',
    description: 'Read records matching a domain: the named fields of at most `limit` rows (the relay caps it). Many2one fields come back as [id, "name"].',
    input: toolInputs.search_read,
    writes: false,
    method: 'search_read',
    async run(env, input) {
      const limit = effectiveLimit(input.limit, env.maxRowsPerCall);
      const kwargs: Record<string, unknown> = { fields: input.fields, limit };
      if (input.order) kwargs.order = input.order;
      if (input.offset) kwargs.offset = input.offset;
      const rows = (await env.client.executeKw(input.model, 'search_read', [input.domain], kwargs)) as unknown[];
      // Full page at the cap: there may be more, and the model should know not to claim a total.
      const truncated = rows.length === limit && limit === env.maxRowsPerCall && (input.limit === undefined || input.limit > limit);
      return {
        result: truncated ? { rows, truncated: true, note: `Only the first ${limit} rows; use search_count for totals or read_group to aggregate.` } : { rows },
        rows,
        rowCount: rows.length,
      };
    },
  },
  search_count: {
    name: 'search_count',
    description: 'Count the records matching a domain.',
    input: toolInputs.search_count,
    writes: false,
    method: 'search_count',
    async run(env, input) {
      const count = (await env.client.executeKw(input.model, 'search_count', [input.domain])) as number;
      return { result: { count }, rowCount: 1 };
    },
  },
  read_group: {
    name: 'read_group',
    description: 'Group records and aggregate: e.g. the sum of amount_residual per partner_id. Each group has the groupby values, the aggregates and __count.',
    input: toolInputs.read_group,
    writes: false,
    method: 'read_group',
    async run(env, input) {
      const limit = effectiveLimit(input.limit, env.maxRowsPerCall);
      const kwargs: Record<string, unknown> = { lazy: false, limit };
      if (input.orderby) kwargs.orderby = input.orderby;
      const groups = (await env.client.executeKw(input.model, 'read_group', [input.domain, input.aggregates, input.groupby], kwargs)) as unknown[];
      const rows = groups.map(withoutDomain);
      const truncated = rows.length === limit && limit === env.maxRowsPerCall && (input.limit === undefined || input.limit > limit);
      return {
        result: truncated ? { groups: rows, truncated: true, note: `Only the first ${limit} groups; group more coarsely or filter the domain.` } : { groups: rows },
        rows,
        rowCount: rows.length,
      };
    },
  },
  create: {
    name: 'create',
    description: 'Create one record; returns its id. Only offered when the request allows writes.',
    input: toolInputs.create,
    writes: true,
    method: 'create',
    async run(env, input) {
      const id = await env.client.executeKw(input.model, 'create', [input.values]);
      return { result: { id }, rows: [{ id }], rowCount: 1 };
    },
  },
  write: {
    name: 'write',
    description: 'Update records by id with the given values. Only offered when the request allows writes.',
    input: toolInputs.write,
    writes: true,
    method: 'write',
    async run(env, input) {
      const ok = await env.client.executeKw(input.model, 'write', [input.ids, input.values]);
      return { result: { updated: ok === true ? input.ids.length : 0 }, rows: input.ids.map((id) => ({ id })), rowCount: input.ids.length };
    },
  },
};

/**
 * The tools a request may use: read tools always, write tools only when writes are allowed,
 * and only those whose ORM method the key's scopes and method allow-list permit — a model is
 * never offered a tool that would be refused.
 */
export function toolsFor(allowWrites: boolean, caller?: Caller): OdooTool[] {
  return (Object.values(odooTools) as OdooTool[]).filter((t) => {
    if (t.writes && !allowWrites) return false;
    const grant = caller ? grantOf(caller) : null;
    if (!grant) return true;
    return scopesAllowMethod(grant.scopes, t.method) && matchesAllowList(grant.allowedMethods, t.method);
  });
}

/** Whether a caller's key may change data at all (the `read` scope never may). */
export function callerMayWrite(caller: Caller): boolean {
  const grant = grantOf(caller);
  return !grant || scopesAllowMethod(grant.scopes, 'create');
}

/** The model a tool call targets (list_models reads ir.model but filters by the key's allow-list instead). */
function targetModel(tool: OdooTool, input: any): string {
  return tool.name === 'list_models' ? 'ir.model' : input.model;
}

/** The parts of a tool's ORM call that may name other models' fields, placed as the call places them (limits left out). */
function reachingParts(tool: OdooTool, input: any): { args: unknown[]; kwargs: Record<string, unknown> } {
  switch (tool.name) {
    case 'search_read':
      return { args: [input.domain], kwargs: { fields: input.fields, order: input.order } };
    case 'search_count':
      return { args: [input.domain], kwargs: {} };
    case 'read_group':
      return { args: [input.domain, input.aggregates, input.groupby], kwargs: { orderby: input.orderby } };
    case 'create':
      return { args: [input.values], kwargs: {} };
    case 'write':
      return { args: [input.ids, input.values], kwargs: {} };
    default:
      return { args: [], kwargs: {} };
  }
}

/**
 * Runs one tool call with the caller's access rules, and records it. Access refusals (private
 * method, scope, method allow-list), loops and Odoo outages throw ChatStop (the run ends with
 * that code); a model outside the allow-list and Odoo's refusals of the call itself (unknown
 * field, bad domain, validation) throw a plain Error whose message the model sees and may act on.
 */
export async function runTool(env: ToolEnv, tool: OdooTool, input: any): Promise<ToolOutput> {
  const started = performance.now();
  const model = targetModel(tool, input);
  const step: ToolStep = { tool: tool.name, args: input, rowCount: null, durationMs: 0, model, method: tool.method };
  const finish = (extra: Partial<ToolStep>) => {
    Object.assign(step, extra, { durationMs: round(performance.now() - started) });
    env.onStep(step);
  };
  try {
    if (tool.writes && !env.allowWrites) {
      throw new ChatStop(new RelayError('chat_writes_disabled', `The model tried '${tool.name}', but this request does not allow writes (send "allow_writes": true with a key that has the webhook scope)`, { tool: tool.name }));
    }
    const refusal = tool.name === 'list_models' ? listModelsRefusal(env.caller) : checkMethodAccess(env.caller, model, tool.method);
    // A model outside the allow-list goes back to the model (it may pick an allowed one); any other refusal ends the run.
    if (refusal?.code === 'model_not_allowed') throw refusal;
    if (refusal) throw new ChatStop(refusal);
    // Values, domains and orders that reach a model outside the allow-list go back to the model too.
    const { args, kwargs } = reachingParts(tool, input);
    const linked = await linkedModelsRefusal(env.caller, model, tool.method, args, kwargs, env.relations);
    if (linked) throw linked;
    if (env.repeats?.seen(tool.name, input).looping) {
      throw new ChatStop(new RelayError('chat_step_limit', `The model repeated the same '${tool.name}' call without making progress`, { reason: 'repeated_tool_call', tool: tool.name }));
    }
    const odooStarted = performance.now();
    let output: ToolOutput;
    if (tool.writes) env.onWriteSent?.();
    try {
      output = await tool.run(env, input);
    } finally {
      step.odooMs = round(performance.now() - odooStarted);
    }
    finish({ rowCount: output.rowCount });
    return output;
  } catch (err) {
    const { code, message } = describeFailure(err);
    finish({ error: { code, message } });
    if (err instanceof ChatStop) throw err;
    if (err instanceof OdooError && ENDS_RUN.has(err.code)) throw new ChatStop(fromOdooError(err));
    // Goes back to the model as the tool's error result.
    throw new Error(err instanceof RelayError ? `${code}: ${message}` : message);
  }
}

/** Odoo failures the model cannot fix by asking differently. */
const ENDS_RUN = new Set(['odoo_unreachable', 'odoo_timeout', 'odoo_bad_response', 'odoo_auth_failed', 'odoo_busy']);

// list_models reads ir.model whatever the model allow-list says (it filters its answer by it instead).
function listModelsRefusal(caller: Caller): RelayError | null {
  if (caller.kind === 'session') return null;
  return checkMethodAccess({ ...caller, grant: { ...caller.grant, allowedModels: null } }, 'ir.model', 'search_read');
}

function describeFailure(err: unknown): { code: string; message: string } {
  if (err instanceof ChatStop) return { code: err.relayError.code, message: err.relayError.message };
  if (err instanceof OdooError) return { code: err.code, message: err.odooMessage || err.message };
  if (err instanceof RelayError) return { code: err.code, message: err.message };
  return { code: 'internal_error', message: 'The tool failed unexpectedly' };
}

/** HTTP-like status of a step, for the request log (200 for success). */
export function stepStatus(step: ToolStep): number {
  if (!step.error) return 200;
  if (isErrorCode(step.error.code)) return statusOf(step.error.code);
  // The model's own mistakes (a tool it was not offered, arguments off its schema, more calls
  // in one turn than run) are bad requests it may correct, not failures of the relay.
  return MODEL_MISTAKES.has(step.error.code) ? 400 : 500;
}

/** Step codes of the model's own making, which are not relay error codes (see agent.ts). */
const MODEL_MISTAKES: ReadonlySet<string> = new Set(['unknown_tool', 'invalid_tool_args', 'too_many_tool_calls']);

function compactFields(raw: Record<string, any>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(raw)) {
    const entry: Record<string, unknown> = { type: f.type, string: f.string };
    if (f.relation) entry.relation = f.relation;
    if (Array.isArray(f.selection) && f.selection.length) entry.selection = f.selection.map((s: unknown[]) => s[0]);
    if (f.required) entry.required = true;
    if (f.readonly) entry.readonly = true;
    out[name] = entry;
  }
  return out;
}

// read_group answers carry a `__domain` per group: noise for the model and for n8n.
function withoutDomain(group: unknown): unknown {
  if (!group || typeof group !== 'object') return group;
  const { __domain, __context, ...rest } = group as Record<string, unknown>;
  return rest;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
