/**
 * get_metadata: who created and last changed each record, and its external identifiers, as
 * BaseModel.get_metadata answers (odoo/orm/models.py). Built on read, so missing ids are dropped.
 */
import { xmlidsOf } from './model-data.js';
import type { Orm } from './orm.js';

const LOG_ACCESS_COLUMNS = ['create_uid', 'create_date', 'write_uid', 'write_date'];

export function getMetadata(orm: Orm, model: string, ids: number[]): Record<string, unknown>[] {
  const records = orm.read(model, ids, LOG_ACCESS_COLUMNS);
  const xmlids = xmlidsOf(orm, model, ids);
  for (const record of records) {
    const list = xmlids.get(record.id as number) ?? [];
    // The "main" xmlid is the oldest one.
    record.xmlid = list[0]?.xmlid ?? false;
    record.noupdate = list[0]?.noupdate ?? false;
    record.xmlids = list.map((entry) => ({ ...entry }));
  }
  return records;
}
