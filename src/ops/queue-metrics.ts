import { Gauge, type Registry } from 'prom-client';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { within } from '../async/deadline.js';

/**
 * The outbound queue as gauges, read from the database at each scrape: a receiver that is down
 * makes the queue grow for hours before its subscription is disabled, and an operator should
 * see that on a dashboard, not in a table. The counts use the (status, next_attempt_at) index
 * and never scan delivered rows. A database that does not answer leaves the last values; the
 * scrape itself must not fail for it (/readyz reports the database).
 */
export function registerQueueMetrics(registry: Registry, db: Kysely<Database>): void {
  const queued = new Gauge({
    name: 'relay_deliveries_queued',
    help: 'Outbound deliveries waiting to be sent (pending, retries included) or being sent (in_flight)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      await orLeave(async () => {
        const rows = await db
          .selectFrom('deliveries')
          .select(['status', db.fn.countAll<number | string>().as('n')])
          .where('status', 'in', ['pending', 'in_flight'])
          .groupBy('status')
          .execute();
        for (const status of ['pending', 'in_flight']) queued.set({ status }, Number(rows.find((r) => r.status === status)?.n ?? 0));
      });
    },
  });
  const oldest = new Gauge({
    name: 'relay_deliveries_oldest_pending_age_seconds',
    help: 'Age of the oldest delivery still pending (0 when none is)',
    registers: [registry],
    async collect() {
      await orLeave(async () => {
        const row = await db.selectFrom('deliveries').select(db.fn.min('created_at').as('first')).where('status', '=', 'pending').executeTakeFirst();
        const first = row?.first == null ? null : Number(row.first);
        oldest.set(first === null ? 0 : Math.max(0, (Date.now() - first) / 1000));
      });
    },
  });
  const subscriptions = new Gauge({
    name: 'relay_subscriptions',
    help: 'Event subscriptions by state (disabled: paused, or disabled after failed deliveries)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      await orLeave(async () => {
        const rows = await db.selectFrom('subscriptions').select(['active', db.fn.countAll<number | string>().as('n')]).groupBy('active').execute();
        subscriptions.set({ state: 'active' }, Number(rows.find((r) => Number(r.active) === 1)?.n ?? 0));
        subscriptions.set({ state: 'disabled' }, Number(rows.find((r) => Number(r.active) === 0)?.n ?? 0));
      });
    },
  });
}

/** How long a scrape waits for the database before it answers with the last values. */
const SCRAPE_WAIT_MS = 2_000;

async function orLeave(read: () => Promise<void>): Promise<void> {
  // Unanswered, whether it failed or did not answer in time: the gauges keep their last values.
  await within(read(), SCRAPE_WAIT_MS).catch(() => undefined);
}
