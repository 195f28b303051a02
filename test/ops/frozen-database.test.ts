/**
 * A PostgreSQL server that stops answering without closing its connections (frozen, or a network
 * path that drops packets) must not hold the health check or the metrics scrape: a load balancer
 * and Prometheus need an answer. The relay reaches its database through a TCP relay here that
 * can stop passing bytes, which is what such a server looks like from the relay's side.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { createTestDatabase } from '../helpers/postgres.js';
import { httpGet, startTestRelay, type TestRelay } from '../helpers/relay.js';

/** A TCP relay to `target` that passes bytes until frozen, then holds everything it gets. */
async function freezableRelay(target: URL): Promise<{ port: number; freeze(): void; thaw(): void; close(): void }> {
  let frozen = false;
  const sockets = new Set<net.Socket>();
  const paused: net.Socket[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    const pass = (from: net.Socket, to: net.Socket) =>
      from.on('data', (chunk) => {
        if (frozen) {
          // Held, as a frozen server's kernel holds what it receives: the sender sees no answer.
          from.pause();
          from.unshift(chunk);
          paused.push(from);
          return;
        }
        to.write(chunk);
      });
    pass(client, upstream);
    pass(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze: () => (frozen = true),
    thaw: () => {
      frozen = false;
      for (const s of paused.splice(0)) s.resume();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe('a PostgreSQL server that stops answering', { timeout: 60_000 }, () => {
  let relay: TestRelay;
  let tcp: Awaited<ReturnType<typeof freezableRelay>>;

  beforeAll(async () => {
    const url = new URL(await createTestDatabase());
    tcp = await freezableRelay(url);
    const through = new URL(url);
    through.hostname = '127.0.0.1';
    through.port = String(tcp.port);
    relay = await startTestRelay({ env: { DATABASE_URL: through.toString() } });
  });
  afterAll(async () => {
    tcp.thaw();
    await relay.close();
    tcp.close();
  });

  it('gets /readyz 503 not_ready within seconds and /metrics with its last values, then ready again once it answers', async () => {
    expect((await httpGet(`${relay.url}/readyz`)).status).toBe(200);
    const before = await httpGet(`${relay.url}/metrics`);
    expect(before.text).toContain('relay_subscriptions{state="active"} 0');

    tcp.freeze();
    const started = Date.now();
    const ready = await httpGet(`${relay.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ success: false, code: 'not_ready', error: 'Database did not answer within 2 s' });
    const metrics = await httpGet(`${relay.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('relay_subscriptions{state="active"} 0');
    // Each waited its 2 s, no more (the machine may be slow: a generous bound).
    expect(Date.now() - started).toBeLessThan(15_000);
    expect((await httpGet(`${relay.url}/healthz`)).status).toBe(200);

    tcp.thaw();
    for (let i = 0; i < 100 && (await httpGet(`${relay.url}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await httpGet(`${relay.url}/readyz`)).status).toBe(200);
  });
});
