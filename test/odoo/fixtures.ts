/** The request/response pairs recorded from a real Odoo 19.0 (copied from shared/odoo-fixtures). */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RecordedExchange {
  name: string;
  request: { method: string; path: string; headers: Record<string, string>; body: unknown };
  response: { status: number; headers: Record<string, string>; body: unknown };
}

const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** Every recorded exchange, by name. */
export const fixtures: ReadonlyMap<string, RecordedExchange> = new Map(
  readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const exchange = JSON.parse(readFileSync(join(FIXTURE_DIR, f), 'utf8')) as RecordedExchange;
      return [exchange.name, exchange] as const;
    }),
);

/** One recorded exchange; throws on a typo. */
export function fixture(name: string): RecordedExchange {
  const found = fixtures.get(name);
  if (!found) throw new Error(`no fixture ${name}`);
  return found;
}

/** The response body as it went over the wire. */
export function responseText(exchange: RecordedExchange): string {
  const body = exchange.response.body;
  return typeof body === 'string' ? body : JSON.stringify(body);
}

/** JSON with object keys sorted, for order-insensitive comparison of request bodies. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
