/** Type definitions shared by the model declarations (models/*.ts) and the ORM. */
import type { Row } from './domain.js';

export type { Row };

export type FieldType =
  | 'char' | 'text' | 'html' | 'integer' | 'float' | 'monetary' | 'boolean' | 'date' | 'datetime'
  | 'selection' | 'many2one' | 'one2many' | 'many2many' | 'binary';

/** What a model or field computation may look at: the ORM's read-side view. */
export interface ComputeEnv {
  value(model: string, row: Row, field: string): unknown;
  row(model: string, id: number): Row | undefined;
  rows(model: string): Iterable<Row>;
  /** ids of `model` whose many2one `field` points at `target` (uses the inverse index). */
  referencing(model: string, field: string, target: number): number[];
  displayName(model: string, row: Row): string;
}

export interface FieldDef {
  name: string;
  type: FieldType;
  string: string;
  relation?: string;
  /** one2many only: the many2one on the comodel that points back. */
  inverse?: string;
  /** many2one only: what deleting the target does. Default: 'restrict' when required, else 'set null'. */
  ondelete?: 'cascade' | 'restrict' | 'set null';
  required?: boolean;
  readonly?: boolean;
  selection?: [string, string][];
  help?: string;
  /** Non-stored computed value, evaluated on read, search and sort. */
  compute?: (row: Row, env: ComputeEnv) => unknown;
  /**
   * A stored field Odoo computes from the record's other fields when a create does not give it
   * (compute with store=True, readonly=False): a sale line's description and price from its product.
   */
  fromRecord?: (row: Row, env: ComputeEnv) => unknown;
  default?: (ctx: DefaultContext) => unknown;
}

export interface DefaultContext {
  uid: number;
  now: string;
  model: string;
  /** Next value of a per-model sequence, for names like S00042. */
  nextSequence(key: string): number;
}

export type MethodImpl = (call: MethodCall) => unknown;

export interface MethodCall {
  uid: number;
  ids: number[];
  params: Record<string, unknown>;
  context: Record<string, unknown>;
}

export interface ModelDef {
  name: string;
  description: string;
  /** Odoo's _order, used when a search has no `order`. */
  order: string;
  fields: FieldDef[];
  /** The tree parent used by child_of / parent_of (Odoo's _parent_name). */
  parentField?: string;
  displayName?: (row: Row, env: ComputeEnv) => string;
  /** Python class name, used in TypeError texts for business methods. */
  className: string;
  /** Inherits mail.thread: has a chatter (message_post), whose messages go when the record goes. */
  mailThread?: boolean;
}
