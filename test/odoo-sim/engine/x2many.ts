/**
 * x2many write commands as Odoo defines them: (0, 0, vals) create, (1, id, vals) update,
 * (2, id) delete, (3, id) unlink, (4, id) link, (5) clear, (6, 0, ids) set; a bare id list
 * means (6, 0, ids). For a one2many the link lives on the child's inverse many2one.
 */
import { valueError } from './errors.js';
import type { FieldDef, Row } from './model.js';
import type { Orm } from './orm.js';

type Vals = Record<string, unknown>;

/** x2many commands: (0,0,vals) (1,id,vals) (2,id) (3,id) (4,id) (5) (6,0,ids), or a bare id list. */
export function applyX2many(orm: Orm, model: string, row: Row, f: FieldDef, value: unknown, uid: number, context: Record<string, unknown>): void {
  if (value === false || value === null || value === undefined) value = [[5]];
  if (!Array.isArray(value)) throw valueError(`Wrong value for ${model}.${f.name}: ${JSON.stringify(value)}`);
  const commands: unknown[][] = value.every((v) => typeof v === 'number') ? [[6, 0, value]] : (value as unknown[][]);
  const rel = f.relation!;
  const relTable = orm.model(rel).table;
  for (const cmd of commands) {
    if (!Array.isArray(cmd)) throw valueError(`Wrong value for ${model}.${f.name}: ${JSON.stringify(value)}`);
    const [code, id, arg] = cmd as [number, number, unknown];
    if (f.type === 'one2many') {
      const inverse = f.inverse!;
      const detach = (childId: number) => {
        const invField = orm.field(rel, inverse)!;
        // A required inverse means the child cannot live alone: Odoo deletes it (ondelete cascade).
        if (invField.required) orm.unlink(rel, [childId], uid);
        else if (relTable.rows.has(childId)) orm.write(rel, [childId], { [inverse]: false }, uid, context);
      };
      switch (code) {
        case 0:
          orm.create(rel, [{ ...(arg as Vals), [inverse]: row.id }], uid, context);
          break;
        case 1:
          orm.write(rel, [id], arg as Vals, uid, context);
          break;
        case 2:
          orm.unlink(rel, [id], uid);
          break;
        case 3:
          detach(id);
          break;
        case 4:
          orm.write(rel, [id], { [inverse]: row.id }, uid, context);
          break;
        case 5:
          for (const childId of orm.referencing(rel, inverse, row.id)) detach(childId);
          break;
        case 6: {
          const keep = new Set(arg as number[]);
          for (const childId of orm.referencing(rel, inverse, row.id)) if (!keep.has(childId)) detach(childId);
          for (const childId of keep) orm.write(rel, [childId], { [inverse]: row.id }, uid, context);
          break;
        }
        default:
          throw valueError(`Unknown command ${JSON.stringify(cmd)} for ${model}.${f.name}`);
      }
    } else {
      let current = ((row[f.name] as number[] | undefined) ?? []).slice();
      switch (code) {
        case 0:
          current.push(...orm.create(rel, [arg as Vals], uid, context));
          break;
        case 1:
          orm.write(rel, [id], arg as Vals, uid, context);
          break;
        case 2:
          orm.unlink(rel, [id], uid);
          current = current.filter((x) => x !== id);
          break;
        case 3:
          current = current.filter((x) => x !== id);
          break;
        case 4:
          if (!current.includes(id)) current.push(id);
          break;
        case 5:
          current = [];
          break;
        case 6:
          current = [...new Set(arg as number[])];
          break;
        default:
          throw valueError(`Unknown command ${JSON.stringify(cmd)} for ${model}.${f.name}`);
      }
      orm.model(model).table.update(row, { [f.name]: current.filter((x) => relTable.rows.has(x)) });
    }
  }
}
