/**
 * A model allow-list holds for every model a call reaches, not only the one it is called on:
 * the records its values would change (linked-writes.ts) and the records its domain, order,
 * groupby or read specification would search or read (linked-reads.ts). Both are resolved here
 * against the caller's Odoo, with fields_get cached per model and connection.
 */
import { credentialName, grantOf, type Caller } from '../auth/caller.js';
import { matchesAllowList } from '../auth/scopes.js';
import { RelayError } from '../errors/index.js';
import type { TtlCache } from '../cache/ttl-cache.js';
import type { OdooClient } from '../odoo/index.js';
import { linkedWriteRefusal, linkRefusal } from './linked-writes.js';
import { readReaches, type Reach } from './linked-reads.js';

/** A field's type and, for relational ones, its comodel: what fields_get answers for these two attributes. */
export type FieldRelations = Record<string, { type?: string; relation?: string }>;

/** The fields of `model` on the caller's Odoo (cached by relationsLoader). */
export type FieldsOf = (model: string) => Promise<FieldRelations>;

/** Whether the caller has a model allow-list at all: decided without Odoo, so other callers pay nothing. */
export function hasModelAllowList(caller: Caller): boolean {
  return grantOf(caller)?.allowedModels != null;
}

/** Whether the caller has a model or a method allow-list: only then may a call's values or domain be refused. */
export function hasAllowList(caller: Caller): boolean {
  const grant = grantOf(caller);
  return grant?.allowedModels != null || grant?.allowedMethods != null;
}

/**
 * The refusal of a call that would change or read records of a model outside the caller's
 * allow-list, or run a method outside its method allow-list on records it changes, or null. Asks Odoo for field types only when the call names fields that may be
 * relational (a list value, a dotted path, text compared with a field, a nested specification).
 */
export async function linkedModelsRefusal(
  caller: Caller,
  model: string,
  method: string,
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
  fieldsOf: FieldsOf,
): Promise<RelayError | null> {
  const grant = grantOf(caller);
  const allowed = grant?.allowedModels ?? null;
  const methods = grant?.allowedMethods ?? null;
  if (!allowed && !methods) return null;
  const who = credentialName(caller);
  const written = await linkedWriteRefusal({ models: allowed, methods, who }, model, method, args, kwargs, fieldsOf);
  if (written) return written;
  if (!allowed) return null;
  const list = { allowed, who };
  let reaches: Reach[];
  try {
    reaches = readReaches(method, args, kwargs);
  } catch (err) {
    if (err instanceof RelayError) return err; // nested deeper than the check follows
    throw err;
  }
  return firstRefusal(model, reaches);

  async function firstRefusal(onModel: string, reaches: readonly Reach[]): Promise<RelayError | null> {
    for (const reach of reaches) {
      const refused = await reachRefusal(onModel, reach);
      if (refused) return refused;
    }
    return null;
  }

  async function reachRefusal(onModel: string, reach: Reach): Promise<RelayError | null> {
    let current = onModel;
    const hops = reach.full ? reach.path.length : reach.path.length - 1;
    for (let i = 0; i < hops; i++) {
      const name = reach.path[i]!;
      const fields = await fieldsOf(current);
      const field = Object.hasOwn(fields, name) ? fields[name]! : undefined;
      // Not a relational field (or not a field): nothing further is reached, and Odoo answers for a wrong name.
      if (!field?.relation) return null;
      if (!matchesAllowList(list.allowed, field.relation)) {
        return linkRefusal(list, current, name, field.relation, 'reaches');
      }
      current = field.relation;
    }
    return reach.full && reach.then?.length ? firstRefusal(current, reach.then) : null;
  }
}

/** Field types and comodels of the caller's Odoo, asked once per model and connection for ten minutes. */
export function relationsLoader(cache: TtlCache<FieldRelations>, connectionId: string, client: Pick<OdooClient, 'executeKw'>): FieldsOf {
  return async (model) =>
    cache.getOrLoad(`${connectionId}|${model}`, async () => (await client.executeKw(model, 'fields_get', [], { attributes: ['type', 'relation'] })) as FieldRelations);
}
