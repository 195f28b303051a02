/**
 * An Odoo that stays down fails every poll of every subscription on it: logged at warn once per
 * subscription and failure, again only when the failure changes, and once more when polls work.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import pino from 'pino';
import { startReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { pollByHand, startEventsRig, type EventsRig } from './helpers.js';
import { pollSubscription, type PollDeps } from '../../src/events/poller.js';
import { OdooError, type OdooClient } from '../../src/odoo/index.js';

let rig: EventsRig;
let receiver: WebhookReceiver;
let subId: string;

beforeAll(async () => {
  rig = await startEventsRig();
  receiver = await startReceiver();
  subId = await pollByHand(rig, { targetUrl: receiver.url });
}, 60_000);
afterAll(async () => {
  await receiver?.close();
  await rig?.close();
});

/** A client whose every call fails as `failure` says, while it says one. */
function failing(client: OdooClient, failure: () => OdooError | null): OdooClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const error = failure();
        return error ? Promise.reject(error) : value.apply(target, args);
      };
    },
  });
}

it('logs a failing poll at warn once, its repeats at debug, a new failure at warn, and the recovery', async () => {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const deps = (rig.relay.ctx.events as any).pollDeps as PollDeps;
  let failure: OdooError | null = new OdooError('odoo_unreachable', 'Odoo at http://odoo.test is unreachable: connection refused');
  const polling: PollDeps = { ...deps, logger, clientFor: async (sub) => failing(await deps.clientFor(sub), () => failure) };
  const poll = async () => {
    await pollSubscription(polling, subId);
    return lines.splice(0).map((l) => `${pino.levels.labels[l.level]} ${l.msg}`);
  };
  expect(await poll()).toEqual(['warn poll failed']);
  expect(await poll()).toEqual(['debug poll failed again']);
  expect(await poll()).toEqual(['debug poll failed again']);
  failure = new OdooError('odoo_timeout', 'Odoo at http://odoo.test did not answer within 30000 ms');
  expect(await poll()).toEqual(['warn poll failed']);
  failure = null;
  expect(await poll()).toEqual(['info poll works again']);
  expect(await poll()).toEqual([]);
  // A restarted relay has logged nothing yet: what it finds failing, it says once.
  failure = new OdooError('odoo_unreachable', 'Odoo at http://odoo.test is unreachable: connection refused');
  await pollSubscription(polling, subId);
  lines.length = 0;
  const restarted: PollDeps = { ...polling, pollFailures: new Map() };
  await pollSubscription(restarted, subId);
  expect(lines.map((l) => `${pino.levels.labels[l.level]} ${l.msg}`)).toEqual(['warn poll failed']);
});
