/**
 * `/__sim/*`: control routes for tests that drive the sim from another process (the relay's
 * end-to-end tests, n8n). They bypass fault injection so a test can always turn faults off.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { FAILURE_KINDS, type FaultControls } from './faults.js';
import { sendJson } from './reply.js';

export interface AdminControls {
  faults: FaultControls;
  seedPartners(count: number): { firstId: number; lastId: number };
  reset(): void;
}

const FaultsBody = z.object({
  latencyMs: z.number().min(0).optional(),
  failureRate: z.number().min(0).max(1).optional(),
  failureError: z.enum(FAILURE_KINDS as [string, ...string[]]).optional(),
  dropConnections: z.boolean().optional(),
  // Only `false` makes sense over HTTP: once in outage nothing listens to turn it back on.
  outage: z.boolean().optional(),
}).strict();

const SeedBody = z.object({ partners: z.number().int().min(0).max(10_000_000) }).strict();

function parse(body: Buffer): unknown {
  if (body.length === 0) return {};
  return JSON.parse(body.toString('utf8'));
}

export function createAdminHandler(controls: AdminControls) {
  return (req: IncomingMessage, res: ServerResponse, path: string, body: Buffer): void => {
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'use POST' });
    let input: unknown;
    try {
      input = parse(body);
    } catch {
      return sendJson(res, 400, { error: 'body is not JSON' });
    }
    try {
      switch (path) {
        case '/__sim/faults': {
          const f = FaultsBody.parse(input);
          if (f.latencyMs !== undefined) controls.faults.setLatency(f.latencyMs);
          if (f.failureRate !== undefined || f.failureError !== undefined) {
            controls.faults.setFailureRate(f.failureRate ?? 1, f.failureError as Parameters<FaultControls['setFailureRate']>[1]);
          }
          if (f.dropConnections !== undefined) controls.faults.setDropConnections(f.dropConnections);
          sendJson(res, 200, { ok: true });
          // After answering, or the caller would never hear back.
          if (f.outage !== undefined) res.once('finish', () => controls.faults.setOutage(f.outage!));
          return;
        }
        case '/__sim/seed': {
          const { partners } = SeedBody.parse(input);
          return sendJson(res, 200, controls.seedPartners(partners));
        }
        case '/__sim/reset':
          controls.reset();
          return sendJson(res, 200, { ok: true });
      }
      sendJson(res, 404, { error: `no admin route ${path}` });
    } catch (err) {
      const message = err instanceof z.ZodError ? z.prettifyError(err) : (err as Error).message;
      sendJson(res, 400, { error: message });
    }
  };
}
