/**
 * Scripted LLM servers on loopback for chat tests: real HTTP speaking the OpenAI
 * `/v1/chat/completions` wire format (non-streaming JSON: the relay's generateText never streams) and the
 * Anthropic `/v1/messages` format. Each request plays the next recorded model turn; a turn
 * may be computed from the request (e.g. an answer built from the tool result it received).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ScriptedTurn =
  | {
      toolCalls: { name: string; args: unknown; id?: string }[];
      /** null: the answer carries no usage at all, as some self-hosted servers send it. */
      usage?: { input: number; output: number } | null;
      /** finish_reason to send (default tool_calls): some providers say "stop" with tool calls. */
      finish?: string;
    }
  | { text: string; usage?: { input: number; output: number } | null; finish?: string }
  | { status: number; body: unknown; headers?: Record<string, string> }
  | { hang: true };

/** A turn, or a function of the request body that returns one (a promise of one holds the answer until it settles). */
export type TurnScript = ScriptedTurn | ((body: any, index: number) => ScriptedTurn | Promise<ScriptedTurn>);

/**
 * The model's first move on the seed's question "customers with outstanding invoices over
 * $1000": one read_group over posted customer invoices, grouped by partner.
 */
export const OUTSTANDING_INVOICES_TURN: ScriptedTurn = {
  toolCalls: [
    {
      name: 'read_group',
      args: {
        model: 'account.move',
        domain: [['move_type', '=', 'out_invoice'], ['state', '=', 'posted'], ['amount_residual', '>', 1000]],
        groupby: ['partner_id'],
        aggregates: ['amount_residual:sum'],
        orderby: 'amount_residual desc',
      },
    },
  ],
  usage: { input: 900, output: 60 },
};

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

export interface ScriptedLlm {
  /** Base URL to give the relay (CHAT_BASE_URL): `http://127.0.0.1:port/v1`. */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Replaces the script; the next request plays the first turn. */
  play(turns: TurnScript[]): void;
  close(): Promise<void>;
}

/** Reads the JSON tool results the relay sent back in an OpenAI-format request, newest last. */
export function openAiToolResults(body: any): { toolCallId: string; content: any }[] {
  return (body.messages as any[])
    .filter((m) => m.role === 'tool')
    .map((m) => {
      let content: any = m.content;
      try {
        content = JSON.parse(m.content);
      } catch {
        // error texts stay strings
      }
      return { toolCallId: m.tool_call_id, content };
    });
}

export async function startScriptedLlm(options: { wire: 'openai' | 'anthropic'; expectKey?: string }): Promise<ScriptedLlm> {
  let script: TurnScript[] = [];
  let index = 0;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : null;
    requests.push({ path: req.url ?? '', headers: req.headers, body });

    const expectedPath = options.wire === 'openai' ? '/v1/chat/completions' : '/v1/messages';
    if (req.method !== 'POST' || req.url !== expectedPath) return json(res, 404, { error: { message: `no route ${req.url}` } });
    if (options.expectKey) {
      const presented = options.wire === 'openai' ? (req.headers.authorization ?? '').replace(/^Bearer /, '') : req.headers['x-api-key'];
      if (presented !== options.expectKey) {
        // Like OpenAI, echo (part of) the presented key: the relay must not pass it on.
        return json(res, 401, { error: { message: `Incorrect API key provided: ${presented}`, type: 'invalid_request_error', code: 'invalid_api_key' } });
      }
    }
    const step = script[index];
    const i = index++;
    if (!step) return json(res, 500, { error: { message: `script exhausted at request ${i + 1}` } });
    const turn = typeof step === 'function' ? await step(body, i) : step;
    if ('hang' in turn) return; // never answers; the relay's timeout must fire
    if ('status' in turn) {
      for (const [name, value] of Object.entries(turn.headers ?? {})) res.setHeader(name, value);
      return json(res, turn.status, turn.body);
    }
    if (options.wire === 'openai') return openAiAnswer(res, body, turn, i);
    return anthropicAnswer(res, body, turn, i);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    play(turns) {
      script = turns;
      index = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

type AnswerTurn = Extract<ScriptedTurn, { toolCalls: unknown } | { text: string }>;

function openAiAnswer(res: ServerResponse, body: any, turn: AnswerTurn, i: number) {
  const usage = turn.usage === undefined ? { input: 100, output: 20 } : turn.usage;
  const toolCalls =
    'toolCalls' in turn
      ? turn.toolCalls.map((c, n) => ({
          id: c.id ?? `call_${i}_${n}`,
          type: 'function',
          function: { name: c.name, arguments: typeof c.args === 'string' ? c.args : JSON.stringify(c.args) },
        }))
      : undefined;
  const message = { role: 'assistant', content: 'text' in turn ? turn.text : null, ...(toolCalls && { tool_calls: toolCalls }) };
  const finish = 'finish' in turn && turn.finish ? turn.finish : toolCalls ? 'tool_calls' : 'stop';
  const u = usage && { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output };
  // generateText does not stream, so the relay never asks for SSE; refuse it rather than pretend.
  if (body.stream) return json(res, 400, { error: { message: 'this scripted server does not stream' } });
  return json(res, 200, { id: `chatcmpl-${i}`, object: 'chat.completion', created: 1_760_000_000, model: body.model, choices: [{ index: 0, message, finish_reason: finish }], ...(u && { usage: u }) });
}

function anthropicAnswer(res: ServerResponse, body: any, turn: AnswerTurn, i: number) {
  const usage = turn.usage === undefined ? { input: 100, output: 20 } : turn.usage;
  const content =
    'toolCalls' in turn
      ? turn.toolCalls.map((c, n) => ({ type: 'tool_use', id: c.id ?? `toolu_${i}_${n}`, name: c.name, input: c.args }))
      : [{ type: 'text', text: turn.text }];
  return json(res, 200, {
    id: `msg_${i}`,
    type: 'message',
    role: 'assistant',
    model: body.model,
    content,
    stop_reason: 'toolCalls' in turn ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: usage?.input ?? 0, output_tokens: usage?.output ?? 0 },
  });
}
