/**
 * Keyword arguments Odoo renamed between versions. A workflow names them one way; the relay
 * passes the name the connected server takes, so the same workflow runs against Odoo 18 and 19
 * (Python refuses the other version's name as an unexpected keyword).
 */
interface Renamed {
  before: string;
  after: string;
  /** First major version with the new name. */
  since: number;
}

/** Checked against Odoo 19.0's `odoo/orm/models.py`: default_get(self, fields), was fields_list. */
const RENAMED: Readonly<Record<string, Renamed>> = {
  default_get: { before: 'fields_list', after: 'fields', since: 19 },
};

/** `kwargs` with a renamed parameter under the name `major` takes; the same object when nothing changes. */
export function kwargsForVersion(method: string, kwargs: Record<string, unknown>, major: number | undefined): Record<string, unknown> {
  const renamed = Object.hasOwn(RENAMED, method) ? RENAMED[method] : undefined;
  if (!renamed || major === undefined) return kwargs;
  const [from, to] = major >= renamed.since ? [renamed.before, renamed.after] : [renamed.after, renamed.before];
  if (!Object.hasOwn(kwargs, from) || Object.hasOwn(kwargs, to)) return kwargs;
  const { [from]: value, ...rest } = kwargs;
  return { ...rest, [to]: value };
}
