import pino, { type Logger } from 'pino';
import type { Config } from './config.js';
import { openStorage, migrate, type Storage } from './storage/database.js';
import { SecretBox } from './secrets/secret-box.js';
import { loadMasterKey } from './secrets/master-key.js';
import { checkMasterKey } from './secrets/key-check.js';
import { databaseRateLimiter, memoryRateLimiter, type RateLimiter } from './auth/rate-limit.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { LastUsedTracker, apiKeysChanged, type KeyLookup } from './auth/api-keys.js';
import { connectionsChanged, type ResolvedConnection } from './connections/store.js';
import { BoundedMemo } from './cache/bounded-memo.js';
import { HmacSha256Key } from './auth/hmac-key.js';
import { TtlCache } from './cache/ttl-cache.js';
import { OdooClientCache } from './connections/client-cache.js';
import { RepeatedFailureLog } from './ops/repeated-failure.js';
import type { FieldRelations } from './actions/linked-models.js';
import { RequestLogWriter } from './request-log/writer.js';
import { requestLogBatchInsert } from './request-log/batch-insert.js';
import { IdempotencyStore } from './actions/idempotency.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { registerQueueMetrics } from './ops/queue-metrics.js';
import { EventsService } from './events/service.js';
import { createChatService, type ChatService } from './chat/service.js';

/** Everything a request handler may use; built once per process (or per test relay). */
export interface AppContext {
  config: Config;
  logger: Logger;
  storage: Storage;
  box: SecretBox;
  rateLimiter: RateLimiter;
  loginThrottle: LoginThrottle;
  lastUsed: LastUsedTracker;
  odooClients: OdooClientCache;
  requestLog: RequestLogWriter;
  idempotency: IdempotencyStore;
  metrics: Metrics;
  /** Outbound events: subscriptions, capture and the delivery worker (started by startRelay). */
  events: EventsService;
  /** Chat's provider resolver, conversation memory and field cache. */
  chat: ChatService;
  /** Hot-path caches; the TtlCaches are cleared by every write in this process (see TtlCache). */
  caches: {
    apiKeys: TtlCache<KeyLookup>;
    connections: TtlCache<ResolvedConnection | null>;
    /** HMAC keys prepared from their sealed secrets, so a signed call does not decrypt and pad again. */
    hmacKeys: BoundedMemo<HmacSha256Key>;
    /** Each model's relational fields and their comodels, per connection: see actions/linked-models.ts. */
    fieldRelations: TtlCache<FieldRelations>;
  };
  close(): Promise<void>;
}

/** Opens the database (migrating it), loads the master key and wires the shared services. */
export async function createContext(config: Config, logger?: Logger): Promise<AppContext> {
  const log = logger ?? pino({ level: config.logLevel, redact: { paths: ['*.password', '*.secret', '*.apiKey', '*.authorization'], censor: '[redacted]' } });
  const storage = openStorage({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    onConnectionError: (err) => log.warn({ err }, 'PostgreSQL connection lost; the pool reconnects on next use'),
  });
  await migrate(storage);
  const masterKey = loadMasterKey({ masterKey: config.masterKey, dataDir: config.dataDir });
  const box = new SecretBox(masterKey.key);
  try {
    await checkMasterKey(storage.db, box, masterKey);
  } catch (err) {
    await storage.close();
    throw err;
  }
  // A database outage fails a batch every 100 ms under load: logged once a minute, not each time.
  const requestLog = new RequestLogWriter(requestLogBatchInsert(storage), new RepeatedFailureLog(log, 'request log write'));
  const odooClients = new OdooClientCache(box, { maxQueue: config.odooMaxQueue, maxResponseBytes: config.odooMaxResponseBytes, allowedOrigins: config.odooAllowedOrigins });
  const caches = {
    apiKeys: new TtlCache<KeyLookup>(config.authCacheSeconds * 1000),
    connections: new TtlCache<ResolvedConnection | null>(config.authCacheSeconds * 1000),
    hmacKeys: new BoundedMemo(1000, (sealed) => new HmacSha256Key(box.decrypt(sealed))),
    // Field types change only with an Odoo module upgrade: ten minutes is plenty.
    fieldRelations: new TtlCache<FieldRelations>(10 * 60_000, 2_000),
  };
  const events = new EventsService({ storage, box, logger: log, odooClients, config: config.events, shutdownGraceMs: config.shutdownGraceMs });
  const metrics = createMetrics();
  registerQueueMetrics(metrics.registry, storage.db);
  const unsubscribe = [apiKeysChanged.subscribe(() => caches.apiKeys.clear()), connectionsChanged.subscribe(() => caches.connections.clear())];
  return {
    caches,
    config,
    logger: log,
    storage,
    box,
    rateLimiter: storage.dialect === 'postgres' ? databaseRateLimiter(storage) : memoryRateLimiter(),
    loginThrottle: new LoginThrottle(storage),
    lastUsed: new LastUsedTracker(storage.db),
    odooClients,
    requestLog,
    idempotency: new IdempotencyStore(storage.db, config.idempotencyTtlHours * 3_600_000),
    metrics,
    events,
    chat: createChatService(config),
    async close() {
      for (const off of unsubscribe) off();
      await events.stop();
      await requestLog.close();
      await odooClients.closeAll();
      await storage.close();
    },
  };
}
