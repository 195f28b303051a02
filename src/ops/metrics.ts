import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics; a registry per app so tests can run several relays in one process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'relay_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'relay_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'relay_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['route'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    webhookActions: new Counter({
      name: 'relay_webhook_actions_total',
      help: 'Webhook actions by action and outcome code',
      labelNames: ['action', 'code'] as const,
      registers: [registry],
    }),
    odooDuration: new Histogram({
      name: 'relay_odoo_call_duration_seconds',
      help: 'Duration of calls to Odoo',
      labelNames: ['outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'relay_rate_limited_total',
      help: 'Requests refused by the per-key rate limit',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
