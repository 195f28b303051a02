import { describe, expect, it } from 'vitest';
import { Counter, Histogram, Registry } from 'prom-client';
import { HotCounter, HotHistogram } from '../../src/ops/hot-metrics.js';

const BUCKETS = [0.001, 0.01, 0.1, 1, 10];

/** The same metrics twice: prom-client's own classes in one registry, the hot ones in another. */
function pair() {
  const reference = new Registry();
  const hot = new Registry();
  return {
    reference,
    hot,
    counters: [
      new Counter({ name: 'c_total', help: 'Requests by route and status', labelNames: ['route', 'status'], registers: [reference] }),
      new HotCounter('c_total', 'Requests by route and status', ['route', 'status'], hot),
    ] as const,
    histograms: [
      new Histogram({ name: 'h_seconds', help: 'Durations', labelNames: ['route'], buckets: BUCKETS, registers: [reference] }),
      new HotHistogram('h_seconds', 'Durations', ['route'], BUCKETS, hot),
    ] as const,
  };
}

describe('hot-path counters and histograms', () => {
  it("print exactly what prom-client's own Counter and Histogram print for the same observations", async () => {
    const { reference, hot, counters, histograms } = pair();
    const routes = ['/api/n8n/webhook', '/api/v1/models/:model', 'unmatched', 'quote"and\\backslash\nnewline'];
    // Values on bucket bounds, between them, above the last one and zero.
    const values = [0, 0.001, 0.0005, 0.0099, 0.01, 0.5, 1, 9.99, 10, 10.01, 120];
    for (let i = 0; i < 200; i++) {
      const route = routes[i % routes.length]!;
      const status = String([200, 401, 429, 502][i % 3]);
      for (const c of counters) c.inc({ route, status });
      for (const h of histograms) h.observe({ route }, values[i % values.length]!);
    }
    expect(await hot.metrics()).toBe(await reference.metrics());
    expect(await hot.metrics()).toContain('h_seconds_bucket{le="+Inf",route="unmatched"} 50');
  });

  it('count by more than one, and start again from nothing after a registry reset', async () => {
    const { reference, hot, counters } = pair();
    for (const c of counters) c.inc({ route: '/x', status: '200' }, 5);
    expect(await hot.metrics()).toBe(await reference.metrics());
    expect(await hot.metrics()).toContain('c_total{route="/x",status="200"} 5');
    reference.resetMetrics();
    hot.resetMetrics();
    expect(await hot.metrics()).toBe(await reference.metrics());
    expect(await hot.metrics()).not.toContain('route="/x"');
  });

  it('keep the label values they were first given, even if the caller reuses its label object', async () => {
    const { hot, counters } = pair();
    const labels = { route: '/a', status: '200' };
    counters[1].inc(labels);
    labels.route = '/b';
    counters[1].inc(labels);
    const text = await hot.metrics();
    expect(text).toContain('c_total{route="/a",status="200"} 1');
    expect(text).toContain('c_total{route="/b",status="200"} 1');
  });
});
