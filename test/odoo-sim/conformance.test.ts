/**
 * Replays every request recorded from a real Odoo 19.0 (`shared/odoo-fixtures/*.json`) against
 * the sim over real HTTP, and compares status, content type, session cookie and body shape.
 *
 * Substitutions in the request: `$DB` → the sim's db, `$API_KEY` → the sim's API key, and the
 * uid in `object` calls → the uid `common.login` gives admin here. Each fixture runs on a fresh
 * engine (POST /__sim/reset), because the recordings were taken one by one on demo data.
 * Normalisation of the response body is `shapeDiff`'s (see http/shape.ts): JSON types and keys
 * recursively, exact error names, messages and arguments, tracebacks by their last line, HTML
 * pages by status, type and title. XML-RPC bodies are decoded and compared the same way; the
 * fault fixture was recorded against a database literally named "$DB", so it is replayed both
 * substituted (shape) and verbatim (the recorded fault code and final exception line).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMethodResponse } from './http/xmlrpc-codec.js';
import { shapeDiff, type ShapeOptions } from './http/shape.js';
import { startOdooSim, type OdooSim } from './server.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function locateFixtures(): string {
  // In CI the repository is cloned with `shared/` beside it; on the dev machine it is /work/shared.
  const candidates = [path.resolve(repoRoot, '../shared/odoo-fixtures'), '/work/shared/odoo-fixtures'];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`Odoo fixtures not found; looked in:\n  ${candidates.join('\n  ')}`);
  return found;
}

interface Fixture {
  name: string;
  request: { method: string; path: string; headers: Record<string, string>; body: unknown };
  response: { status: number; headers: Record<string, string>; body: unknown };
}

const fixtureDir = locateFixtures();
const fixtures: Fixture[] = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(path.join(fixtureDir, f), 'utf8')) as Fixture);

/** Record lists whose length depends on the data, per fixture. */
const SHAPE_OPTIONS: Record<string, ShapeOptions> = {
  // Which contacts hang under "My Company" depends on the demo data.
  'jsonrpc-read': { lengthFree: ['$.result[0].child_ids', '$.result[1].child_ids'] },
};

const DB = 'odoo_demo';
const API_KEY = 'conformance-api-key-6f1c2a';

function substitute(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll('$DB', DB).replaceAll('$API_KEY', API_KEY);
  if (Array.isArray(value)) return value.map(substitute);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v)]));
  return value;
}

let sim: OdooSim;
let adminUid: number;

async function rpc(body: unknown): Promise<unknown> {
  const res = await fetch(`${sim.url}/jsonrpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return ((await res.json()) as { result: unknown }).result;
}

beforeAll(async () => {
  sim = await startOdooSim({ version: 19, db: DB, apiKey: API_KEY });
  adminUid = (await rpc({ jsonrpc: '2.0', method: 'call', params: { service: 'common', method: 'login', args: [DB, 'admin', 'admin'] }, id: 1 })) as number;
});
afterAll(() => sim?.close());

const COOKIE = /^session_id=[A-Za-z0-9_-]{20,}; Expires=\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT; Max-Age=604800; HttpOnly; Path=\/$/;

describe('conformance with recorded Odoo 19.0 responses', () => {
  it('found the fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(40);
  });

  for (const fixture of fixtures) {
    it(fixture.name, async () => {
      const reset = await fetch(`${sim.url}/__sim/reset`, { method: 'POST' });
      expect(reset.status).toBe(200);

      const req = substitute(fixture.request) as Fixture['request'];
      const body = req.body as Record<string, unknown> | string | null;
      const params = typeof body === 'object' && body ? (body.params as Record<string, unknown> | undefined) : undefined;
      if (params?.service === 'object' && Array.isArray(params.args)) params.args[1] = adminUid;

      const headers: Record<string, string> = { ...req.headers };
      const hasType = Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
      if (body !== null && !hasType) headers['content-type'] = 'application/json';
      const res = await fetch(`${sim.url}${req.path}`, {
        method: req.method,
        headers,
        body: body === null ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });

      const expected = fixture.response;
      expect(res.status).toBe(expected.status);
      expect(res.headers.get('content-type')).toBe(expected.headers['content-type']);
      // The recordings keep Set-Cookie whenever Odoo sent one, so its absence is checked too.
      if (expected.headers['set-cookie']) expect(res.headers.get('set-cookie')).toMatch(COOKIE);
      else expect(res.headers.get('set-cookie')).toBeNull();

      const text = await res.text();
      const type = expected.headers['content-type'];
      if (type.startsWith('application/json')) {
        expect(shapeDiff(expected.body, JSON.parse(text), SHAPE_OPTIONS[fixture.name])).toEqual([]);
      } else if (type.startsWith('text/xml')) {
        const want = decodeMethodResponse(substitute(expected.body) as string);
        const got = decodeMethodResponse(text);
        expect(got.fault).toBe(want.fault);
        if (want.fault && got.fault) {
          // The recording used the literal db name "$DB" (no such database), so its fault is an
          // application error; with the real db substituted the unknown model is a UserError.
          // Both are faults with an int code and a string text: compare that shape.
          expect(typeof got.faultCode).toBe(typeof want.faultCode);
          expect(typeof got.faultString).toBe(typeof want.faultString);
          // Replayed verbatim (db "$DB"), the sim must give the recorded fault itself: same code,
          // traceback ending in the same exception line.
          const raw = await fetch(`${sim.url}${fixture.request.path}`, { method: 'POST', headers: fixture.request.headers, body: fixture.request.body as string });
          const verbatim = decodeMethodResponse(await raw.text());
          const recorded = decodeMethodResponse(expected.body as string);
          if (!verbatim.fault || !recorded.fault) throw new Error('expected a fault');
          expect(verbatim.faultCode).toBe(recorded.faultCode);
          expect(shapeDiff({ debug: recorded.faultString }, { debug: verbatim.faultString })).toEqual([]);
        } else {
          expect(shapeDiff(want, got)).toEqual([]);
        }
      } else if (typeof expected.body === 'string' && expected.body.startsWith('<!DOCTYPE html>')) {
        expect(text).toMatch(/^<!DOCTYPE html>/);
        expect(text).toContain('<title>Odoo</title>');
      } else {
        expect(text).toBe(expected.body);
      }
    });
  }
});
