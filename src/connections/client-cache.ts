import { OdooClient } from '../odoo/index.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { OdooConnection } from './store.js';
import { assertOdooOriginAllowed } from './origin-policy.js';

/**
 * One OdooClient per connection, so its uid cache, version detection, keep-alive pool and
 * concurrency cap are shared by every request on that connection. A client is replaced when
 * the connection's row changes (updated_at), which also drops the cached uid.
 */
export class OdooClientCache {
  private readonly clients = new Map<string, { updatedAt: number; client: OdooClient }>();

  constructor(
    private readonly box: SecretBox,
    private readonly defaults: { maxQueue: number; maxResponseBytes?: number; allowedOrigins: readonly string[] },
  ) {}

  get(connection: OdooConnection, secretEnc: string): OdooClient {
    const cached = this.clients.get(connection.id);
    if (cached && cached.updatedAt === connection.updatedAt) return cached.client;
    // Checked when a client is made, not per call: a connection saved before ODOO_ALLOWED_ORIGINS
    // was set (or narrowed) is refused too.
    assertOdooOriginAllowed(connection.url, this.defaults.allowedOrigins);
    if (cached) void cached.client.close();
    const client = new OdooClient({
      url: connection.url,
      database: connection.database,
      login: connection.login,
      secret: this.box.decrypt(secretEnc),
      protocol: connection.protocol,
      timeoutMs: connection.timeoutMs,
      maxConcurrent: connection.maxConcurrent,
      maxQueue: this.defaults.maxQueue,
      maxResponseBytes: this.defaults.maxResponseBytes,
    });
    this.clients.set(connection.id, { updatedAt: connection.updatedAt, client });
    return client;
  }

  /** Shutdown: every client stops queueing calls (see OdooClient.stopQueue). */
  stopQueues(): void {
    for (const { client } of this.clients.values()) client.stopQueue();
  }

  async closeAll(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map((c) => c.client.close()));
  }
}
