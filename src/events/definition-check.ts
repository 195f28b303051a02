/**
 * Checks a subscription's definition against Odoo when it is saved: the model and the field
 * names it reads or watches here; its domain is evaluated by capture set-up's first search
 * (`snapshotKnownIds`), whose refusal `refusesDefinition` recognizes alike. Odoo's refusal of
 * any of them means the subscription could never capture anything; accepted anyway, it failed
 * on every poll while its note blamed the network. An unreachable Odoo is not a refusal: the
 * poller retries those.
 */
import type { SubscriptionsTable } from '../storage/schema.js';
import type { OdooClient } from '../odoo/index.js';
import { isOdooError } from '../odoo/index.js';
import { RelayError } from '../errors/index.js';
import { fromOdooError } from '../http/error-handler.js';

type Definition = Pick<SubscriptionsTable, 'model' | 'fields' | 'changed_fields'>;

/** Odoo answers that refuse the definition itself (not the network, not Odoo being down). */
const REFUSALS = new Set(['odoo_unknown_model', 'odoo_bad_request', 'odoo_access_error']);

/** Whether an error from setting up capture is a refusal of the subscription's definition. */
export function refusesDefinition(err: unknown): boolean {
  if (err instanceof RelayError) return err.code === 'invalid_request' || REFUSALS.has(err.code);
  return isOdooError(err) && REFUSALS.has(err.code);
}

/**
 * Odoo's refusal (one of `codes`) as the relay's, naming the subscription field it is about
 * (`details.field`, the shape of every other field error), for forms to mark it; anything else
 * passes as it is.
 */
function refusalOf(err: unknown, codes: readonly string[], field: string): unknown {
  if (!isOdooError(err) || !codes.includes(err.code)) return err;
  const odoo = fromOdooError(err);
  return new RelayError(odoo.code, odoo.message, { ...(odoo.details as object | null), field }, odoo.headers);
}

/**
 * Odoo's refusal of the domain: the first search that evaluates it (capture set-up's snapshot)
 * comes after the model and field names were checked, so a request Odoo refuses there is the
 * domain's (an unknown operator or field in it).
 */
export function refusalOfDomain(err: unknown): unknown {
  return refusalOf(err, ['odoo_bad_request'], 'domain');
}

/** Throws when Odoo does not know the model or a field named in `fields` or `changedFields`. */
export async function checkDefinition(client: OdooClient, sub: Definition): Promise<void> {
  // Unknown model → odoo_unknown_model; no read access → odoo_access_error.
  let known: Record<string, unknown>;
  try {
    known = (await client.executeKw(sub.model, 'fields_get', [], { attributes: ['type'] })) as Record<string, unknown>;
  } catch (err) {
    throw refusalOf(err, ['odoo_unknown_model', 'odoo_access_error'], 'model');
  }
  for (const [column, field] of [['fields', 'fields'], ['changed_fields', 'changedFields']] as const) {
    const names = sub[column] ? (JSON.parse(sub[column]) as string[]) : [];
    const unknown = names.filter((name) => !Object.hasOwn(known, name));
    if (unknown.length > 0) {
      throw new RelayError('invalid_request', `${sub.model} has no field ${unknown.map((n) => `'${n}'`).join(', ')} in Odoo`, { field, unknown });
    }
  }
}
