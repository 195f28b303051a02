/** Business methods beyond CRUD: sale.order.action_confirm, account.move.action_post. */
import { userError } from './errors.js';
import type { Orm } from './orm.js';

export function confirmSaleOrders(orm: Orm, ids: number[], uid: number): true {
  const rows = orm.existing('sale.order', ids, uid);
  const wrong = rows.filter((r) => r.state !== 'draft' && r.state !== 'sent');
  if (wrong.length) {
    throw userError(
      `The following orders are not in a state requiring confirmation: ${wrong.map((r) => String(r.name)).join(', ')}`,
    );
  }
  // Odoo stamps the confirmation time as the order date.
  orm.write('sale.order', ids, { state: 'sale', date_order: orm.now().slice(0, 19) }, uid);
  return true;
}

const PREFIX: Record<string, string> = { out_invoice: 'INV', out_refund: 'RINV', in_invoice: 'BILL', in_refund: 'RBILL', entry: 'MISC' };

/** Posts draft moves: numbering, residual = total; returns False like Odoo's action_post. */
export function postMoves(orm: Orm, ids: number[], uid: number): false {
  const rows = orm.existing('account.move', ids, uid);
  for (const row of rows) {
    if (row.state === 'posted') throw userError(`The entry ${row.name} (id ${row.id}) is already posted.`);
    if (!orm.referencing('account.move.line', 'move_id', row.id).length) throw userError('You need to add a line before posting.');
  }
  for (const row of rows) {
    const prefix = PREFIX[String(row.move_type)] ?? 'MISC';
    const year = String(row.date || orm.now()).slice(0, 4);
    const name = row.name && row.name !== '/' ? row.name : `${prefix}/${year}/${String(orm.nextSequence(`account.move/${prefix}`)).padStart(5, '0')}`;
    const total = orm.value('account.move', row, 'amount_total');
    orm.write('account.move', [row.id], { state: 'posted', name, amount_residual: total, payment_state: 'not_paid' }, uid);
  }
  return false;
}
