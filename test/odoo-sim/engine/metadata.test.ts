import { describe, expect, it } from 'vitest';
import { createSimEngine } from '../engine.js';
import { raised } from './testing.js';

const ADMIN = 2;
const DEMO = 6;
const READER = 7;

describe('get_metadata', () => {
  it('answers who created and last changed each record, and its external identifiers', () => {
    let now = new Date('2026-03-01T08:00:00Z');
    const engine = createSimEngine({ version: 19, now: () => now });
    const created = engine.execute(DEMO, 'res.partner', 'create', [{ name: 'Meta' }], {}) as number;
    now = new Date('2026-03-02T09:30:00Z');
    engine.execute(ADMIN, 'res.partner', 'write', [[created], { phone: '1' }], {});
    expect(engine.execute(ADMIN, 'res.partner', 'get_metadata', [[created, 1, 999999]], {})).toEqual([
      {
        id: created,
        create_uid: [DEMO, 'Marc Demo'],
        create_date: '2026-03-01 08:00:00',
        write_uid: [ADMIN, 'Mitchell Admin'],
        write_date: '2026-03-02 09:30:00',
        xmlid: false,
        noupdate: false,
        xmlids: [],
      },
      {
        id: 1,
        create_uid: [1, 'OdooBot'],
        create_date: '2026-03-01 08:00:00',
        write_uid: [1, 'OdooBot'],
        write_date: '2026-03-01 08:00:00',
        xmlid: 'base.main_partner',
        noupdate: true,
        xmlids: [{ xmlid: 'base.main_partner', noupdate: true }],
      },
    ]);
    expect(engine.executeNamed(ADMIN, 'mail.message.subtype', 'get_metadata', { ids: [2] })).toMatchObject([{ id: 2, xmlid: 'mail.mt_note' }]);
    expect(engine.execute(ADMIN, 'ir.model.data', 'search_read', [[['model', '=', 'res.country'], ['res_id', '=', 21]]], { fields: ['complete_name', 'noupdate'] })).toEqual([
      { id: expect.any(Number), complete_name: 'base.be', noupdate: false },
    ]);
  });

  it('needs read access', () => {
    const engine = createSimEngine({ version: 18 });
    expect(raised(() => engine.execute(READER, 'sale.order', 'get_metadata', [[1]], {}))[0]).toBe('odoo.exceptions.AccessError');
  });
});

describe('check_access', () => {
  it('answers None when allowed and raises AccessError when not (Odoo 18+)', () => {
    for (const version of [18, 19] as const) {
      const engine = createSimEngine({ version });
      expect(engine.execute(ADMIN, 'res.partner', 'check_access', [[1, 3], 'write'], {})).toBeNull();
      expect(engine.execute(READER, 'res.partner', 'check_access', [[1]], { operation: 'read' })).toBeNull();
      expect(raised(() => engine.execute(READER, 'res.partner', 'check_access', [[1]], { operation: 'unlink' }))).toEqual([
        'odoo.exceptions.AccessError',
        "You are not allowed to delete 'Contact' (res.partner) records.\n\nThis operation is allowed for the following groups:\n\t- Role / User\n\nContact your administrator to request access if necessary.",
      ]);
      expect(engine.executeNamed(ADMIN, 'sale.order', 'check_access', { ids: [1], operation: 'unlink' })).toBeNull();
    }
  });

  it('raises MissingError for missing records, AssertionError for an unknown operation, and does not exist on 17', () => {
    const engine = createSimEngine({ version: 19 });
    expect(raised(() => engine.execute(ADMIN, 'res.partner', 'check_access', [[999999], 'read'], {}))).toEqual([
      'odoo.exceptions.MissingError', 'Record does not exist or has been deleted.\n(Record: res.partner(999999,), User: 2)',
    ]);
    expect(raised(() => engine.execute(ADMIN, 'res.partner', 'check_access', [[1], 'delete'], {}))).toEqual(['builtins.AssertionError', 'Invalid access mode']);
    expect(raised(() => engine.execute(ADMIN, 'res.partner', 'check_access', [[1]], {}))).toEqual([
      'builtins.TypeError', "BaseModel.check_access() missing 1 required positional argument: 'operation'",
    ]);
    expect(raised(() => createSimEngine({ version: 17 }).execute(ADMIN, 'res.partner', 'check_access', [[1], 'read'], {}))[0]).toBe('builtins.AttributeError');
  });
});
