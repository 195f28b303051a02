/**
 * base.automation rules whose server actions send webhooks (Odoo 17+). The engine only emits;
 * the HTTP front posts. By default the number of posts reproduces what a real Odoo 19 sends
 * (see fixtures/automation-webhook): a partner create fires 13 identical posts, a partner write
 * fires 2 for the record plus 1 per child contact of a company — recomputations in Odoo re-trigger
 * the rule. `noise: 'none'` sends exactly one post per record and change.
 */
import type { AutomationWebhookPost } from '../contract.js';
import { compileDomain } from './domain.js';
import type { Row } from './model.js';
import type { Orm, OrmObserver } from './orm.js';
import { parsePythonLiteral } from './python-literal.js';

export type AutomationNoise = 'odoo' | 'none';

type Trigger = 'on_create' | 'on_write' | 'on_unlink';

interface WebhookAction {
  id: number;
  name: string;
  url: string;
  fields: string[];
}

interface Rule {
  id: number;
  model: string;
  trigger: string;
  filterDomain: unknown[] | undefined;
  preDomain: unknown[] | undefined;
  triggerFields: string[];
  actions: WebhookAction[];
}

const PARTNER_CREATE_POSTS = 13;
const PARTNER_WRITE_POSTS = 2;

export class AutomationEngine implements OrmObserver {
  private readonly listeners = new Set<(post: AutomationWebhookPost) => void>();

  constructor(private readonly orm: Orm, private readonly noise: AutomationNoise) {}

  subscribe(listener: (post: AutomationWebhookPost) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- ORM hooks ----

  beforeWrite(model: string, ids: number[]): unknown {
    const rules = this.rules(model, 'on_write');
    if (!rules.length) return undefined;
    // Remember what matched before and the old values of the trigger fields, as Odoo does.
    const before = new Map<number, { pre: Set<number>; old: Map<number, unknown[]> }>();
    for (const rule of rules) {
      const pre = new Set<number>();
      const old = new Map<number, unknown[]>();
      const test = rule.preDomain ? compileDomain(rule.preDomain, model, this.orm) : () => true;
      for (const id of ids) {
        const row = this.orm.row(model, id);
        if (!row) continue;
        if (test(row)) pre.add(id);
        old.set(id, rule.triggerFields.map((f) => this.orm.value(model, row, f)));
      }
      before.set(rule.id, { pre, old });
    }
    return before;
  }

  afterWrite(model: string, ids: number[], _vals: Record<string, unknown>, token: unknown): void {
    const before = token as Map<number, { pre: Set<number>; old: Map<number, unknown[]> }> | undefined;
    if (!before) return;
    for (const rule of this.rules(model, 'on_write')) {
      const state = before.get(rule.id);
      if (!state) continue;
      const matching = this.filter(rule, model, ids.filter((id) => state.pre.has(id))).filter((row) => {
        if (!rule.triggerFields.length) return true;
        const old = state.old.get(row.id)!;
        return rule.triggerFields.some((f, i) => JSON.stringify(this.orm.value(model, row, f)) !== JSON.stringify(old[i]));
      });
      for (const row of matching) {
        if (this.noise === 'odoo' && model === 'res.partner') {
          if (row.is_company) {
            // Active contacts, in the partner order (complete_name), as the fixture shows.
            const children = this.orm.search(model, [['parent_id', '=', row.id]]);
            for (const child of this.filter(rule, model, children)) this.emit(rule, model, child, 1);
          }
          this.emit(rule, model, row, PARTNER_WRITE_POSTS);
        } else {
          this.emit(rule, model, row, 1);
        }
      }
    }
  }

  afterCreate(model: string, ids: number[]): void {
    for (const rule of this.rules(model, 'on_create')) {
      const times = this.noise === 'odoo' && model === 'res.partner' ? PARTNER_CREATE_POSTS : 1;
      for (const row of this.filter(rule, model, ids)) this.emit(rule, model, row, times);
    }
  }

  beforeUnlink(model: string, ids: number[]): void {
    // Emitted before deletion so the post carries the record's last values.
    for (const rule of this.rules(model, 'on_unlink')) {
      for (const row of this.filter(rule, model, ids)) this.emit(rule, model, row, 1);
    }
  }

  // ---- rules ----

  private rules(model: string, trigger: Trigger): Rule[] {
    if (this.listeners.size === 0) return []; // nobody listens: skip the rule scan
    const out: Rule[] = [];
    for (const row of this.orm.rows('base.automation')) {
      if (row.active === false) continue;
      const t = String(row.trigger);
      const fires =
        t === trigger || (t === 'on_create_or_write' && (trigger === 'on_create' || trigger === 'on_write'));
      if (!fires) continue;
      const ruleModel = this.modelOf(row);
      if (ruleModel !== model) continue;
      out.push({
        id: row.id,
        model: ruleModel,
        trigger: t,
        filterDomain: parseStoredDomain(row.filter_domain),
        preDomain: parseStoredDomain(row.filter_pre_domain),
        triggerFields: this.fieldNames(row.trigger_field_ids),
        actions: this.webhookActions(row.action_server_ids),
      });
    }
    return out;
  }

  private modelOf(row: Row): string | undefined {
    if (typeof row.model_id === 'number') {
      const m = this.orm.row('ir.model', row.model_id);
      if (m) return String(m.model);
    }
    return typeof row.model_name === 'string' ? row.model_name : undefined;
  }

  private fieldNames(ids: unknown): string[] {
    if (!Array.isArray(ids)) return [];
    return ids.map((id) => this.orm.row('ir.model.fields', id as number)).filter((r): r is Row => !!r).map((r) => String(r.name));
  }

  private webhookActions(ids: unknown): WebhookAction[] {
    if (!Array.isArray(ids)) return [];
    return ids
      .map((id) => this.orm.row('ir.actions.server', id as number))
      .filter((r): r is Row => !!r && r.state === 'webhook' && typeof r.webhook_url === 'string' && r.webhook_url !== '')
      .sort((a, b) => (Number(a.sequence) || 0) - (Number(b.sequence) || 0) || a.id - b.id)
      .map((r) => ({ id: r.id, name: String(r.name), url: String(r.webhook_url), fields: this.fieldNames(r.webhook_field_ids) }));
  }

  private filter(rule: Rule, model: string, ids: number[]): Row[] {
    const rows = ids.map((id) => this.orm.row(model, id)).filter((r): r is Row => !!r);
    if (!rule.filterDomain) return rows;
    // Automation filters see archived records too (Odoo evaluates them on the records themselves).
    const test = compileDomain(rule.filterDomain, model, this.orm);
    return rows.filter(test);
  }

  private emit(rule: Rule, model: string, row: Row, times: number): void {
    for (const action of rule.actions) {
      const body = this.payload(action, model, row);
      for (let i = 0; i < times; i++) {
        // A fresh copy per post so one listener's mutation cannot leak into the next post.
        const post = { url: action.url, body: { ...body } };
        for (const listener of this.listeners) listener(post);
      }
    }
  }

  /** Odoo's webhook body: sorted keys, read-format values, datetimes with microseconds. */
  private payload(action: WebhookAction, model: string, row: Row): Record<string, unknown> {
    const body: Record<string, unknown> = {
      _action: `${action.name}(#${action.id})`,
      _id: row.id,
      _model: model,
      id: row.id,
    };
    for (const name of action.fields) {
      const f = this.orm.field(model, name);
      if (!f || name === 'id') continue;
      const raw = this.orm.value(model, row, name);
      if (f.type === 'datetime') body[name] = raw || false;
      else body[name] = this.orm.readRows(model, [row], [name])[0]![name];
    }
    return Object.fromEntries(Object.entries(body).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}

function parseStoredDomain(text: unknown): unknown[] | undefined {
  if (typeof text !== 'string' || !text.trim()) return undefined;
  try {
    const value = parsePythonLiteral(text);
    return Array.isArray(value) && value.length ? value : undefined;
  } catch {
    // Domains using runtime names (uid, context_today()) are not supported: such a rule never fires.
    return [[0, '=', 1]];
  }
}
