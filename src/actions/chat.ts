import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { Caller } from '../auth/caller.js';
import { RelayError } from '../errors/index.js';
import { randomBase62 } from '../ids/random.js';
import { runAgent } from '../chat/agent.js';
import { outputSchemaProblem } from '../chat/limits.js';
import { CHAT_SETUP_HINT, languageModelFor } from '../chat/provider.js';
import { chatResponse } from '../chat/response.js';
import { callerMayWrite } from '../chat/tools.js';
import { toolStepLogger } from '../chat/tool-log.js';
import type { ChatRequest } from './schema.js';
import { odooForCaller } from './odoo-for-caller.js';
import { relationsLoader } from './linked-models.js';

/** Suggested wait before asking again on a busy conversation: a turn usually takes seconds. */
const CONVERSATION_BUSY_RETRY_SECONDS = 5;

/**
 * A chat's failure after it sent a write to Odoo: the data may have changed (it did, if the write
 * succeeded), which the body says as every uncertain outcome does (`details.mayHaveRun`), and it
 * does not invite a blind retry with Retry-After, which would write again.
 */
function afterWrite(err: RelayError): RelayError {
  const details = err.details && typeof err.details === 'object' && !Array.isArray(err.details) ? err.details : err.details === undefined ? {} : { detail: err.details };
  const { 'retry-after': _dropped, ...headers } = err.headers ?? {};
  return new RelayError(err.code, err.message, { ...details, mayHaveRun: true }, Object.keys(headers).length ? headers : undefined, err.extra);
}

/**
 * `chat`: a natural-language question answered by the LLM agent over the caller's Odoo, with the
 * caller's scopes and allow-lists. Read-only unless the key may write and the request opts in.
 */
export async function chat(ctx: AppContext, caller: Caller, req: ChatRequest, request: FastifyRequest) {
  const provider = ctx.chat.providerFor(caller);
  if (!provider) throw new RelayError('chat_not_configured', CHAT_SETUP_HINT, { docs: 'docs/chat.md' });
  if (req.allow_writes && !callerMayWrite(caller)) {
    throw new RelayError('forbidden_scope', 'allow_writes needs an API key with the webhook scope; this key is read-only', { required: 'webhook' });
  }
  if (req.schema) {
    const problem = outputSchemaProblem(req.schema);
    if (problem) throw new RelayError('invalid_request', problem, { field: 'schema' });
  }
  const { connection, client } = await odooForCaller(ctx, caller);

  // Conversations belong to the key or app grant (or the session's user): another key cannot read them by id.
  const owner = caller.kind === 'session' ? `user:${caller.userId}` : `key:${caller.grant.id}`;
  const conversationId = req.conversation_id ?? `conv_${randomBase62(16)}`;
  // A second question while the first is being answered is refused rather than queued behind
  // it: a follow-up is asked after reading the answer, so two at once on one conversation have
  // no order to keep, and a queue would let a question wait out another's CHAT_TIMEOUT_MS before
  // starting its own (the timeout is documented as the total time per question). Same stance as
  // idempotency_in_progress: a 409 with Retry-After, and the caller sends again.
  const turn = ctx.chat.conversations.beginTurn(owner, conversationId);
  if (!turn) {
    throw new RelayError(
      'conversation_busy',
      `A question on conversation '${conversationId}' is still being answered; send the next one after its answer`,
      { conversation_id: conversationId },
      { 'retry-after': String(CONVERSATION_BUSY_RETRY_SECONDS) },
    );
  }
  // n8n gave up (its timeout) or the workflow was stopped: the chat stops with it, rather than
  // go on calling the model and Odoo (writing, maybe) for an answer nobody reads. Its turn is not
  // kept either: the next question must not build on an exchange its asker never saw.
  const gone = new AbortController();
  const socket = request.raw.socket;
  const onClose = () => gone.abort();
  if (socket.destroyed) gone.abort();
  else socket.once('close', onClose);
  try {
    const logStep = toolStepLogger(ctx, request, 'chat.tool');
    const { run, messages } = await runAgent({
      model: languageModelFor(provider),
      provider,
      limits: ctx.config.chatLimits,
      env: {
        caller,
        client,
        connectionId: connection.id,
        maxRowsPerCall: ctx.config.chatLimits.maxRowsPerCall,
        allowWrites: req.allow_writes,
        fieldsCache: ctx.chat.fieldsCache,
        relations: relationsLoader(ctx.caches.fieldRelations, connection.id, client),
        onStep: (step) => {
          logStep(step);
          // The question's own request-log row shows the Odoo time of all its tool calls together.
          if (step.odooMs !== undefined) request.trace.odooMs = (request.trace.odooMs ?? 0) + step.odooMs;
        },
        onWriteSent: () => {
          request.trace.odooWriteSent = true;
        },
      },
      history: turn.history,
      message: req.message,
      callerGone: gone.signal,
      ...(req.schema && { outputSchema: req.schema }),
    });
    turn.save(messages);
    return chatResponse(run, conversationId, turn.number);
  } catch (err) {
    throw request.trace.odooWriteSent && err instanceof RelayError ? afterWrite(err) : err;
  } finally {
    socket.off('close', onClose);
    turn.end();
  }
}
