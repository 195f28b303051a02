/** The chat action's success body, built from a finished run (pure). */
import type { ToolStep } from './tools.js';

export interface ChatUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Present (true) when the provider reported no usage: totalTokens is then estimated from characters, about four per token. */
  estimated?: true;
  /** Model turns (one request to the provider each). */
  modelCalls: number;
  toolCalls: number;
  durationMs: number;
}

export interface ChatRunResult {
  /** Markdown answer (text mode). */
  answer?: string;
  /** Parsed object (format "json" mode). */
  output?: unknown;
  data: unknown[];
  steps: ToolStep[];
  usage: ChatUsage;
  finishReason: string;
}

export interface ChatResponse {
  success: true;
  answer?: string;
  output?: unknown;
  data: unknown[];
  steps: { tool: string; args: unknown; rowCount: number | null; durationMs: number; error?: { code: string; message: string } }[];
  usage: ChatUsage;
  /**
   * Why the model's last turn ended: `stop` for a whole answer; `length` when the provider cut it
   * at its output limit, `content-filter` when the provider withheld it. A workflow should not
   * take those two for a complete answer.
   */
  finishReason: string;
  conversation_id: string;
  turn: number;
}

/** `{success, answer | output, data, steps, usage, conversation_id, turn}`: steps as the caller sees them (no internals). */
export function chatResponse(run: ChatRunResult, conversationId: string, turn: number): ChatResponse {
  return {
    success: true,
    ...(run.output !== undefined ? { output: run.output } : { answer: run.answer ?? '' }),
    data: run.data,
    steps: run.steps.map((s) => ({
      tool: s.tool,
      args: s.args,
      rowCount: s.rowCount,
      durationMs: s.durationMs,
      ...(s.error && { error: s.error }),
    })),
    usage: run.usage,
    finishReason: run.finishReason,
    conversation_id: conversationId,
    turn,
  };
}
