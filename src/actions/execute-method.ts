import type { AppContext } from '../context.js';
import { credentialName, grantOf, type Caller } from '../auth/caller.js';
import { matchesAllowList, scopeFor, scopesAllowMethod } from '../auth/scopes.js';
import { RelayError } from '../errors/index.js';
import type { RequestTrace } from '../http/request-trace.js';
import type { ExecuteMethodRequest } from './schema.js';
import { odooForCaller } from './odoo-for-caller.js';
import { ExecuteAnswer } from './answer-json.js';
import { hasAllowList, linkedModelsRefusal, relationsLoader } from './linked-models.js';
import type { TaskCaller } from '../odoo/concurrency-limit.js';
import type { VerbatimResult } from '../odoo/index.js';

/** Refusals a key's scopes and allow-lists impose before anything reaches Odoo (pure). */
export function checkMethodAccess(caller: Caller, model: string, method: string): RelayError | null {
  if (method.startsWith('_')) {
    return new RelayError('private_method', `Private methods (such as '${model}.${method}') cannot be called`, { model, method });
  }
  const key = grantOf(caller);
  if (!key) return null;
  const who = credentialName(caller);
  if (!scopesAllowMethod(key.scopes, method)) {
    return new RelayError('forbidden_scope', `This ${who}'s scopes (${key.scopes.join(', ')}) do not allow '${method}'`, {
      required: scopeFor(method),
      scopes: key.scopes,
      method,
    });
  }
  if (!matchesAllowList(key.allowedModels, model)) {
    return new RelayError('model_not_allowed', `Model '${model}' is not in this ${who}'s allow-list`, { model, allowed: key.allowedModels });
  }
  if (!matchesAllowList(key.allowedMethods, method)) {
    return new RelayError('method_not_allowed', `Method '${method}' is not in this ${who}'s allow-list`, { method, allowed: key.allowedMethods });
  }
  return null;
}

/**
 * `execute_method`: one ORM call on the caller's Odoo, answered as `{success, result, meta}`.
 * `connection` is the caller's socket: a call still queued when it closes is not sent.
 */
export async function executeMethod(ctx: AppContext, caller: Caller, req: ExecuteMethodRequest, trace: RequestTrace, connection?: TaskCaller) {
  trace.model = req.model;
  trace.method = req.method;
  const refusal = checkMethodAccess(caller, req.model, req.method);
  if (refusal) throw refusal;
  // Awaited only when it is a promise: a cached connection (the usual case) saves a microtask turn.
  const target = odooForCaller(ctx, caller);
  const { client, connection: odoo } = target instanceof Promise ? await target : target;
  // Only for a key with an allow-list (the records the call changes or reads on other models,
  // the methods its values run on them); asked here without a promise, so the usual call costs
  // no extra microtask turn.
  if (hasAllowList(caller)) {
    const fieldsOf = relationsLoader(ctx.caches.fieldRelations, odoo.id, client);
    const linked = await linkedModelsRefusal(caller, req.model, req.method, req.args, req.kwargs ?? {}, fieldsOf);
    if (linked) throw linked;
  }
  // Odoo's time counts from the send: a wait for a free slot is the relay's, and a call never
  // sent (the queue full, its client gone) has none.
  const timing = { sentAt: Number.NaN };
  let answer: VerbatimResult | undefined;
  let odooMs = 0;
  try {
    answer = await client.executeKwVerbatim(req.model, req.method, req.args, req.kwargs ?? {}, connection, timing);
  } finally {
    // One clock read serves the answer's meta, the request log and the metric.
    if (!Number.isNaN(timing.sentAt)) {
      odooMs = trace.odooMs = performance.now() - timing.sentAt;
      ctx.metrics.odooDuration.observe({ outcome: answer === undefined ? 'error' : 'ok' }, odooMs / 1000);
    }
  }
  const version = client.knownVersion() ?? (await client.version());
  const meta = { odooVersion: version.serverVersion, protocol: version.protocol, odooMs: Math.round(odooMs * 10) / 10 };
  return new ExecuteAnswer(answer, meta);
}
