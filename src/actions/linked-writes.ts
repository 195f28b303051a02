/**
 * A key's allow-lists must hold for the records a call changes, not only for the model and
 * method it calls. Odoo's x2many commands in the values of create and write reach other models
 * and run other methods: on a partner, `sale_order_ids: [[1, 15, {...}]]` updates sale order 15,
 * `category_id: [[0, 0, {...}]]` creates a tag and `child_ids: [[2, 60]]` deletes contact 60.
 * A key allowed only `res.partner`, or only `create` and `write`, could do those things that way,
 * which it is refused when it calls them itself.
 *
 * What changes the linked model's records, and so needs that model in the model allow-list:
 * - on a one2many field, any command, a plain list of ids and `false`/`null` (they create, update
 *   or delete the linked records, or set their inverse many2one), except taking lines out of a new
 *   record, which has none;
 * - on a many2many field, commands 0 (create), 1 (update) and 2 (delete). Linking and unlinking
 *   existing records (3, 4, 5, 6, or a list of ids) changes only the relation, which is the
 *   called record's own field: tagging an allowed partner stays allowed.
 * What a method allow-list must allow besides the method called: `create` for command 0, `write`
 * for 1, `unlink` for 2; and on a one2many, `write` for what links existing lines to the record
 * (4, 6, a list of ids: their inverse many2one is written) and, on a record that exists, `unlink`
 * for what takes lines out of it (3, 5, 6, a list of ids, and `false` or `null`, which Odoo reads
 * as 5), which deletes them when their inverse cascades (as order lines' does). A new record
 * (create, copy, the values of command 0) has no lines to take out.
 * Commands 0 and 1 carry values for the linked model, checked the same way in turn.
 */
import { matchesAllowList } from '../auth/scopes.js';
import { RelayError } from '../errors/index.js';
import type { FieldsOf } from './linked-models.js';
import { isPlainObject, MAX_DEPTH, nestingTooDeep } from './linked-reads.js';

/**
 * Where the values are in the calls that take them: `create(vals_list)`, `write(ids, vals)`,
 * `copy(ids, default)`, `web_save(ids, vals)`. Some models name write's parameter `values`
 * (res.users before Odoo 18).
 */
const VALUES_OF: Record<string, (args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>) => unknown> = {
  create: (args, kwargs) => args[0] ?? kwargs.vals_list ?? kwargs.vals,
  write: (args, kwargs) => args[1] ?? kwargs.vals ?? kwargs.values,
  copy: (args, kwargs) => args[1] ?? kwargs.default,
  web_save: (args, kwargs) => args[1] ?? kwargs.vals,
};

/** The calls whose values make a new record: nothing is linked to it yet. */
const CREATING = new Set(['create', 'copy']);

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

/** A caller's allow-lists for what a call's values change; null where there is none. */
export interface WriteAllowLists {
  models: readonly string[] | null;
  methods: readonly string[] | null;
  who: string;
}

/** The methods a command runs on the linked records beyond changing the relation (see the file's comment). */
function impliedMethods(fieldType: 'one2many' | 'many2many', command: unknown, creating: boolean): readonly string[] {
  // A plain id in the list: the list means "set to these" (command 6).
  const code = Array.isArray(command) ? commandCode(command) : 6;
  if (code === 0) return ['create'];
  if (code === 1) return ['write'];
  if (code === 2) return ['unlink'];
  if (fieldType === 'many2many') return [];
  if (code === 4) return ['write'];
  if (code === 6) return creating ? ['write'] : ['write', 'unlink'];
  return (code === 3 || code === 5) && !creating ? ['unlink'] : [];
}

/** An x2many value as commands: Odoo reads `false` and `null` as [CLEAR] (command 5). */
function asCommands(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  return value === false || value === null ? [[5]] : undefined;
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
 * The refusal of a call whose values would change records of a model outside the model
 * allow-list, or run a method on them outside the method allow-list, or null. Asks Odoo for
 * field types only when some value is a list.
 */
export async function linkedWriteRefusal(
  lists: WriteAllowLists,
  model: string,
  method: string,
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
  fieldsOf: FieldsOf,
): Promise<RelayError | null> {
  if (!Object.hasOwn(VALUES_OF, method)) return null;
  const values = VALUES_OF[method]!(args, kwargs);
  for (const vals of Array.isArray(values) ? values : [values]) {
    const refused = await checkValues(model, vals, 0, CREATING.has(method));
    if (refused) return refused;
  }
  return null;

  async function checkValues(onModel: string, vals: unknown, depth: number, creating: boolean): Promise<RelayError | null> {
    if (!isPlainObject(vals)) return null;
    if (depth > MAX_DEPTH) return nestingTooDeep(lists.models);
    const written: [name: string, commands: unknown[]][] = [];
    for (const name of Object.keys(vals)) {
      const commands = asCommands(vals[name]);
      if (commands) written.push([name, commands]);
    }
    if (written.length === 0) return null;
    const fields = await fieldsOf(onModel);
    for (const [name, value] of written) {
      const field = Object.hasOwn(fields, name) ? fields[name]! : undefined;
      // An unknown field, or a list in a field that is not x2many: Odoo's own error follows.
      if (!field?.relation || (field.type !== 'one2many' && field.type !== 'many2many')) continue;
      const type = field.type;
      // A command changes the linked model's records exactly when it runs a method on them.
      const runs = value.map((command) => impliedMethods(type, command, creating));
      if (lists.models && runs.some((methods) => methods.length > 0) && !matchesAllowList(lists.models, field.relation)) {
        return linkRefusal({ allowed: lists.models, who: lists.who }, onModel, name, field.relation, 'would change');
      }
      for (const [i, command] of value.entries()) {
        const refused = lists.methods && runs[i]!.find((method) => !matchesAllowList(lists.methods, method));
        if (refused) {
          return new RelayError('method_not_allowed', `'${onModel}.${name}' would ${refused} records of '${field.relation}', and '${refused}' is not in this ${lists.who}'s method allow-list`, {
            method: refused,
            field: `${onModel}.${name}`,
            allowed: lists.methods,
          });
        }
        const code = commandCode(command);
        if (code !== 0 && code !== 1) continue;
        // Command 0's values make a new record; command 1's change one that exists.
        const nested = await checkValues(field.relation, (command as unknown[])[2], depth + 1, code === 0);
        if (nested) return nested;
      }
    }
    return null;
  }
}
