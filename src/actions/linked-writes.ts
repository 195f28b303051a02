/**
 * A model allow-list must hold for the records a call changes, not only for the model it is
 * called on. Odoo's x2many commands in the values of create and write reach other models: on a
 * partner, `sale_order_ids: [[1, 15, {...}]]` updates sale order 15 and `category_id: [[0, 0,
 * {...}]]` creates a tag. A key allowed only `res.partner` could change sale orders that way,
 * which it is refused when it calls sale.order itself.
 *
 * What changes the linked model's records, and so needs that model in the allow-list:
 * - on a one2many field, any command and a plain list of ids (they create, update or delete the
 *   linked records, or set their inverse many2one);
 * - on a many2many field, commands 0 (create), 1 (update) and 2 (delete). Linking and unlinking
 *   existing records (3, 4, 5, 6, or a list of ids) changes only the relation, which is the
 *   called record's own field: tagging an allowed partner stays allowed.
 * Commands 0 and 1 carry values for the linked model, checked the same way in turn.
 */
import { matchesAllowList } from '../auth/scopes.js';
import { RelayError } from '../errors/index.js';
import type { FieldsOf } from './linked-models.js';
import { isPlainObject, MAX_DEPTH, nestingTooDeep } from './linked-reads.js';

/** Where the values are in the calls that take them: `create(vals_list)`, `write(ids, vals)`, `copy(ids, default)`, `web_save(ids, vals)`. */
const VALUES_OF: Record<string, (args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>) => unknown> = {
  create: (args, kwargs) => args[0] ?? kwargs.vals_list ?? kwargs.vals,
  write: (args, kwargs) => args[1] ?? kwargs.vals,
  copy: (args, kwargs) => args[1] ?? kwargs.default,
  web_save: (args, kwargs) => args[1] ?? kwargs.vals,
};

/**
 * A command's code as Odoo reads it: Command is an IntEnum compared with `==`, so Python's
 * False and True are commands 0 (create) and 1 (update) too.
 */
function commandCode(command: unknown): unknown {
  if (!Array.isArray(command)) return undefined;
  return typeof command[0] === 'boolean' ? Number(command[0]) : command[0];
}

/** The allow-list a call is checked against, and whose it is (`API key`, `app`) for the message. */
export interface ModelAllowList {
  allowed: readonly string[];
  who: string;
}

/** The refusal of `onModel.name`, whose comodel `relation` is outside the allow-list: the call would change or read its records. */
export function linkRefusal(list: ModelAllowList, onModel: string, name: string, relation: string, how: 'would change' | 'reaches'): RelayError {
  return new RelayError('model_not_allowed', `'${onModel}.${name}' ${how} records of '${relation}', which is not in this ${list.who}'s allow-list`, {
    model: relation,
    field: `${onModel}.${name}`,
    allowed: list.allowed,
  });
}

/**
 * The refusal of a call whose values would change records of a model outside the allow-list,
 * or null. Asks Odoo for field types only when some value is a list.
 */
export async function linkedWriteRefusal(
  list: ModelAllowList,
  model: string,
  method: string,
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
  fieldsOf: FieldsOf,
): Promise<RelayError | null> {
  if (!Object.hasOwn(VALUES_OF, method)) return null;
  const allowed = list.allowed;
  const values = VALUES_OF[method]!(args, kwargs);
  for (const vals of Array.isArray(values) ? values : [values]) {
    const refused = await checkValues(model, vals, 0);
    if (refused) return refused;
  }
  return null;

  async function checkValues(onModel: string, vals: unknown, depth: number): Promise<RelayError | null> {
    if (!isPlainObject(vals)) return null;
    if (depth > MAX_DEPTH) return nestingTooDeep(allowed);
    const lists = Object.keys(vals).filter((name) => Array.isArray(vals[name]));
    if (lists.length === 0) return null;
    const fields = await fieldsOf(onModel);
    for (const name of lists) {
      const field = Object.hasOwn(fields, name) ? fields[name]! : undefined;
      // An unknown field, or a list in a field that is not x2many: Odoo's own error follows.
      if (!field?.relation || (field.type !== 'one2many' && field.type !== 'many2many')) continue;
      const value = vals[name] as unknown[];
      const changesLinked = field.type === 'one2many' ? value.length > 0 : value.some((c) => [0, 1, 2].includes(commandCode(c) as number));
      if (changesLinked && !matchesAllowList(allowed, field.relation)) {
        return linkRefusal(list, onModel, name, field.relation, 'would change');
      }
      for (const command of value) {
        const code = commandCode(command);
        if (code !== 0 && code !== 1) continue;
        const refused = await checkValues(field.relation, (command as unknown[])[2], depth + 1);
        if (refused) return refused;
      }
    }
    return null;
  }
}
