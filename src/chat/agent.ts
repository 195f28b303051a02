/**
 * The chat agent: one question, answered by a model that calls the Odoo tools, within the
 * limits (steps, rows, time, tokens). Provider-agnostic: it receives an AI SDK model.
 */
import { Ajv } from 'ajv';
import {
  generateText,
  jsonSchema,
  NoObjectGeneratedError,
  NoOutputGeneratedError,
  Output,
  stepCountIs,
  tool,
  type LanguageModel,
  type ModelMessage,
  type StepResult,
  type ToolSet,
} from 'ai';
import type { ChatLimits, ChatProviderConfig } from '../config.js';
import { RelayError } from '../errors/index.js';
import { isOdooError } from '../odoo/index.js';
import { fitToolResult, overBudget, RepeatDetector, usageMissing, usedTokens } from './limits.js';
import { isStrictCompatible } from './strict-schema.js';
import { maskProviderSecrets, providerFailure } from './provider.js';
import type { ChatRunResult } from './response.js';
import { ChatStop, odooTools, runTool, toolsFor, type ToolEnv, type ToolStep } from './tools.js';

// The SDK prints provider warnings to the console; the relay logs through pino or not at all.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

/** Tool calls run per model turn; more in the same turn get an error result instead. */
export const MAX_TOOL_CALLS_PER_TURN = 10;

export interface AgentRequest {
  model: LanguageModel;
  provider: ChatProviderConfig;
  limits: ChatLimits;
  env: ToolEnv;
  history: ModelMessage[];
  message: string;
  /** Caller's JSON schema for format "json" (already checked by outputSchemaProblem). */
  outputSchema?: Record<string, unknown>;
  now?: Date;
  /** Aborts when the caller has gone: no further model turn or tool call is started for nobody. */
  callerGone?: AbortSignal;
}

/** Compiles a caller's JSON schema; a schema ajv cannot compile is the caller's mistake (400). */
export function compileOutputSchema(schema: Record<string, unknown>): (value: unknown) => { ok: true } | { ok: false; message: string } {
  const ajv = new Ajv({ allErrors: false, strict: false, code: { regExp: refuseRegExp } });
  let validate;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    if (err instanceof PatternRefused) {
      throw new RelayError('invalid_request', `schema may not use "pattern" or "patternProperties" (got ${JSON.stringify(err.pattern.slice(0, 80))}): describe the format in "description" instead`, { field: 'schema' });
    }
    throw new RelayError('invalid_request', `schema is not a valid JSON Schema: ${(err as Error).message.slice(0, 300)}`, { field: 'schema' });
  }
  return (value) => (validate(value) ? { ok: true } : { ok: false, message: ajv.errorsText(validate.errors) });
}

class PatternRefused extends Error {
  constructor(readonly pattern: string) {
    super('pattern refused');
  }
}

/**
 * The regular-expression engine ajv is given for a caller's schema: none. The model's answer is
 * checked on the event loop, and a pattern like ^(a+)+$ against an answer of thirty a's held the
 * whole relay, every caller, for 36 s (catastrophic backtracking, which no timeout interrupts).
 * ajv asks for its engine wherever a schema uses a pattern, so this refuses exactly those.
 */
const refuseRegExp = Object.assign(
  (pattern: string): never => {
    throw new PatternRefused(pattern);
  },
  { code: 'new RegExp' },
);

export function systemPrompt(allowWrites: boolean, now: Date): string {
  return [
    "You answer questions about a company's Odoo ERP data by calling the tools provided. Today is " + now.toISOString().slice(0, 10) + '.',
    'Rules:',
    '- Never invent data: every figure, name and count in your answer comes from a tool result.',
    '- If unsure which model or field to use, call list_models or describe_model first. Common models: res.partner (contacts/customers), sale.order (sales orders; state "sale" = confirmed), account.move (invoices: move_type "out_invoice", amount_residual = amount still due, payment_state), product.product (products; qty_available = stock).',
    '- Domains are lists like [["state", "=", "sale"], ["amount_total", ">", 1000]].',
    '- Prefer read_group for totals per group and search_count for counts; search_read returns at most a capped number of rows.',
    allowWrites
      ? '- You may create or update records with the create and write tools, but only when the user clearly asks for it.'
      : '- This session is read-only: you cannot create, change or delete records. Say so if asked.',
    '- Answer in concise Markdown (tables for lists). Mention when a list was truncated.',
  ].join('\n');
}

/** Runs one question to an answer, or throws a RelayError saying which limit or failure stopped it. */
export async function runAgent(req: AgentRequest): Promise<{ run: ChatRunResult; messages: ModelMessage[] }> {
  const started = performance.now();
  const steps: ToolStep[] = [];
  let stop: RelayError | null = null;
  let lastRows: unknown[] = [];
  const env: ToolEnv = {
    ...req.env,
    repeats: new RepeatDetector(),
    onStep(step) {
      steps.push(step);
      req.env.onStep(step);
    },
  };

  // No prototype: the SDK looks a called tool up by name, and a model calling `constructor` or
  // `toString` found Object.prototype's member, which ended the chat with a false step-limit error.
  const tools: ToolSet = Object.create(null);
  for (const t of toolsFor(env.allowWrites, env.caller)) {
    tools[t.name] = tool({
      description: t.description,
      inputSchema: t.input,
      execute: async (input: unknown, options: { abortSignal?: AbortSignal }) => {
        // Told to the model rather than run: one turn of 100 parallel reads made 100 Odoo calls,
        // filled the connection's queue and sent megabytes back to the provider.
        if (++callsThisTurn > MAX_TOOL_CALLS_PER_TURN) {
          const message = `Too many tool calls in one turn: only the first ${MAX_TOOL_CALLS_PER_TURN} were run; ask for fewer, or for totals with read_group`;
          env.onStep({ tool: t.name, args: input, rowCount: null, durationMs: 0, error: { code: 'too_many_tool_calls', message } });
          throw new Error(message);
        }
        try {
          // CHAT_TIMEOUT_MS covers Odoo calls too: a slow one is left behind (its own timeout
          // ends it) rather than awaited past the question's deadline.
          const out = await untilAborted(runTool(env, t, input), options.abortSignal);
          if (out.rows) lastRows = out.rows;
          return fitToolResult(out.result);
        } catch (err) {
          if (err instanceof ChatStop) stop ??= err.relayError;
          throw err;
        }
      },
    });
  }

  // Invalid tool calls never reach `execute`: the SDK answers them with an error for the model.
  // They are recorded as steps, and a write or private method the request may not use ends the run.
  let callsThisTurn = 0;
  const noteInvalidCalls = (step: StepResult<ToolSet>) => {
    callsThisTurn = 0;
    for (const call of step.toolCalls) {
      if (!('invalid' in call) || !call.invalid) continue;
      const known = Object.hasOwn(tools, call.toolName);
      const refusal = invalidCallRefusal(call.toolName, env.allowWrites);
      const error = refusal
        ? { code: refusal.code, message: refusal.message }
        : { code: known ? 'invalid_tool_args' : 'unknown_tool', message: known ? 'The tool arguments did not match its schema' : `No tool named '${call.toolName.slice(0, 64)}'` };
      // Unparseable arguments arrive as the model's raw text: keep the response small.
      const args = typeof call.input === 'string' ? call.input.slice(0, 500) : call.input;
      env.onStep({ tool: call.toolName.slice(0, 64), args, rowCount: null, durationMs: 0, error });
      if (refusal) stop ??= refusal;
    }
  };

  let validateOutput: ReturnType<typeof compileOutputSchema> | undefined;
  if (req.outputSchema) validateOutput = compileOutputSchema(req.outputSchema);

  const deadline = AbortSignal.timeout(req.limits.timeoutMs);
  const signal = req.callerGone ? AbortSignal.any([deadline, req.callerGone]) : deadline;
  const history = [...req.history, { role: 'user', content: req.message } satisfies ModelMessage];
  let result;
  try {
    result = await generateText({
      model: req.model,
      system: systemPrompt(env.allowWrites, req.now ?? new Date()),
      messages: history,
      tools,
      maxRetries: req.limits.maxRetries,
      abortSignal: signal,
      stopWhen: [
        stepCountIs(req.limits.maxSteps),
        () => stop !== null,
        ({ steps: done }) => overBudget(done, req.limits.maxTokens),
      ],
      onStepFinish: noteInvalidCalls,
      ...(req.outputSchema && {
        // OpenAI refuses a strict request whose schema leaves objects open or fields optional.
        providerOptions: { openaiCompatible: { strictJsonSchema: isStrictCompatible(req.outputSchema) } },
        output: Output.object({
          schema: jsonSchema<unknown>(req.outputSchema as any, {
            validate: (value) => {
              const check = validateOutput!(value);
              return check.ok ? { success: true, value } : { success: false, error: new Error(check.message) };
            },
          }),
        }),
      }),
    });
  } catch (err) {
    if (stop) throw stop;
    if (req.callerGone?.aborted) throw new RelayError('client_closed_request', 'The client closed the connection before the answer; the chat stopped');
    if (signal.aborted) throw timeoutError(req.limits.timeoutMs);
    const failure = providerFailure(err, req.provider.provider, req.provider.apiKey);
    if (failure) throw failure;
    if (req.outputSchema && (NoObjectGeneratedError.isInstance(err) || NoOutputGeneratedError.isInstance(err))) throw invalidOutput(err);
    // The relay's own coded errors pass as they are; anything else is logged whole as
    // "unhandled error" by the error handler, so it goes without the key or URL credentials.
    if (err instanceof RelayError || isOdooError(err)) throw err;
    throw maskProviderSecrets(err, req.provider);
  }
  if (stop) throw stop;

  const usage = result.totalUsage;
  // A provider that reports no usage is charged an estimate (see stepTokens), and says so.
  const estimated = result.steps.some((step) => usageMissing(step.usage));
  // Some providers end a turn of tool calls with "stop" (OpenAI now and then, vLLM with a named
  // tool choice): a last step that called tools is no answer, whatever its finish reason says.
  if (result.finishReason === 'tool-calls' || (result.steps.at(-1)?.toolCalls.length ?? 0) > 0) {
    // The model still wanted to call tools when a limit stopped it: no answer to give.
    if (overBudget(result.steps, req.limits.maxTokens)) {
      throw new RelayError('chat_token_budget', `The model used the token budget (${req.limits.maxTokens}) without answering`, {
        maxTokens: req.limits.maxTokens,
        usedTokens: usedTokens(result.steps),
        ...(estimated && { estimated: true }),
      });
    }
    throw new RelayError('chat_step_limit', `The model used all ${req.limits.maxSteps} steps without answering; ask a narrower question or raise CHAT_MAX_STEPS`, {
      reason: 'max_steps',
      maxSteps: req.limits.maxSteps,
    });
  }

  let output: unknown;
  if (req.outputSchema) {
    try {
      output = result.output;
    } catch (err) {
      if (NoObjectGeneratedError.isInstance(err) || NoOutputGeneratedError.isInstance(err)) throw invalidOutput(err);
      throw maskProviderSecrets(err, req.provider);
    }
  }

  const run: ChatRunResult = {
    ...(req.outputSchema ? { output } : { answer: result.text }),
    data: lastRows,
    steps,
    usage: {
      inputTokens: usage.inputTokens ?? 0,
      outputTokens: usage.outputTokens ?? 0,
      totalTokens: estimated ? usedTokens(result.steps) : (usage.totalTokens ?? (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0)),
      ...(estimated && { estimated: true }),
      modelCalls: result.steps.length,
      toolCalls: steps.length,
      durationMs: Math.round(performance.now() - started),
    },
    finishReason: result.finishReason,
  };
  return { run, messages: [...history, ...result.response.messages] };
}

/** A tool the model called that this request must not use at all: ends the run. */
export function invalidCallRefusal(toolName: string, allowWrites: boolean): RelayError | null {
  if (toolName.startsWith('_')) {
    return new RelayError('private_method', `The model asked for a private method ('${toolName.slice(0, 64)}'); private methods cannot be called`, { tool: toolName.slice(0, 64) });
  }
  const known = (odooTools as Record<string, { writes: boolean }>)[toolName];
  if (!allowWrites && (known?.writes || ['unlink', 'create', 'write'].includes(toolName))) {
    return new RelayError('chat_writes_disabled', `The model tried '${toolName}', but this request does not allow writes (send "allow_writes": true with a key that has the webhook scope)`, {
      tool: toolName,
    });
  }
  return null;
}

// The SDK's message says which check failed (JSON parse or schema validation).
function invalidOutput(err: Error): RelayError {
  const cause = err.cause instanceof Error ? err.cause.message : err.message;
  return new RelayError('chat_invalid_output', 'The model did not answer with JSON matching the requested schema', { reason: cause.slice(0, 300) });
}

function timeoutError(ms: number): RelayError {
  return new RelayError('chat_timeout', `The chat request did not finish within ${ms} ms (CHAT_TIMEOUT_MS)`, { timeoutMs: ms }, { 'retry-after': '5' });
}

/** The promise, or a rejection as soon as the signal aborts (the promise runs on, unheeded). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
