import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { HotCounter, HotHistogram } from './hot-metrics.js';

/** Prometheus metrics; a registry per app so tests can run several relays in one process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'relay_' });
  return {
    registry,
    // Updated on every request: see hot-metrics.ts for why these are not prom-client's classes.
    httpRequests: new HotCounter('relay_http_requests_total', 'HTTP requests by route and status', ['route', 'status'], registry),
    httpDuration: new HotHistogram(
      'relay_http_request_duration_seconds',
      'HTTP request duration',
      ['route'],
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registry,
    ),
    webhookActions: new HotCounter('relay_webhook_actions_total', 'Webhook actions by action and outcome code', ['action', 'code'], registry),
    odooDuration: new HotHistogram(
      'relay_odoo_call_duration_seconds',
      'Duration of calls to Odoo',
      ['outcome'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registry,
    ),
    rateLimited: new Counter({
      name: 'relay_rate_limited_total',
      help: 'Requests refused by the per-key rate limit',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
