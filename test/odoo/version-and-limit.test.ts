import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from '../../src/odoo/concurrency-limit.js';
import { parseOdooVersion, supportsJson2 } from '../../src/odoo/version.js';

describe('parseOdooVersion', () => {
  it.each([
    [{ version_info: [19, 0, 0, 'final', 0, ''], version: '19.0' }, { serverVersion: '19.0', major: 19, minor: 0, serie: '19.0' }, true],
    [
      { server_version: '17.0', server_version_info: [17, 0, 0, 'final', 0, ''], server_serie: '17.0', protocol_version: 1 },
      { serverVersion: '17.0', major: 17, minor: 0, serie: '17.0' },
      false,
    ],
    [{ version_info: [18, 0, 0, 'final', 0, ''], version: '18.0+e' }, { serverVersion: '18.0+e', major: 18, minor: 0, serie: '18.0' }, false],
    [
      { server_version: 'saas~18.4+e', server_version_info: ['saas~18', 4, 0, 'final', 0, ''], server_serie: 'saas~18.4' },
      { serverVersion: 'saas~18.4+e', major: 18, minor: 4, serie: 'saas~18.4' },
      true,
    ],
    [{ version_info: ['saas~18', 3, 0, 'final', 0, ''], version: 'saas~18.3' }, { serverVersion: 'saas~18.3', major: 18, minor: 3, serie: 'saas~18.3' }, false],
  ])('%j', (body, expected, json2) => {
    const parsed = parseOdooVersion(body);
    expect(parsed).toEqual(expected);
    expect(supportsJson2(parsed)).toBe(json2);
  });

  it('refuses junk with odoo_bad_response', () => {
    expect(() => parseOdooVersion({ hello: 1 })).toThrow(expect.objectContaining({ code: 'odoo_bad_response' }));
    expect(() => parseOdooVersion(null)).toThrow(expect.objectContaining({ code: 'odoo_bad_response' }));
  });
});

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ConcurrencyLimit', () => {
  it('runs at most maxConcurrent, queues FIFO up to maxQueue, refuses beyond', async () => {
    const limit = new ConcurrencyLimit(2, 2, () => new Error('busy'));
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const order: number[] = [];
    const runs = gates.map((g, i) =>
      limit.run(async () => {
        order.push(i);
        await g.promise;
        return i;
      }),
    );
    await expect(limit.run(async () => 99)).rejects.toThrow('busy');
    await Promise.resolve();
    expect(limit.running).toBe(2);
    expect(limit.queued).toBe(2);
    expect(order).toEqual([0, 1]);
    gates[1]!.resolve();
    await runs[1];
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([0, 1, 2]);
    gates.forEach((g) => g.resolve());
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect(limit.running).toBe(0);
    expect(limit.queued).toBe(0);
  });

  it('frees the slot when a task fails', async () => {
    const limit = new ConcurrencyLimit(1, 0);
    await expect(limit.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await limit.run(async () => 'ok')).toBe('ok');
  });

  it('estimates when a refused task would find a slot from what runs and waits, at recent tasks\' pace', async () => {
    const limit = new ConcurrencyLimit(1, 2, () => new Error('busy'));
    // No task finished yet: nothing to go by, the shortest wait.
    expect(limit.drainSeconds(60)).toBe(1);
    await limit.run(() => new Promise((r) => setTimeout(r, 1100)));
    const gate = deferred();
    const running = limit.run(() => gate.promise);
    const waiting = [limit.run(async () => 1), limit.run(async () => 2)];
    // Three tasks of about 1.1 s ahead (more on a loaded machine), one slot.
    expect(limit.drainSeconds(60)).toBeGreaterThanOrEqual(4);
    expect(limit.drainSeconds(60)).toBeLessThanOrEqual(8);
    expect(limit.drainSeconds(3)).toBe(3);
    gate.resolve();
    await running;
    await Promise.all(waiting);
  });

  it('skips a queued task whose caller has gone by its turn, and hands its slot to the next', async () => {
    const limit = new ConcurrencyLimit(1, 2, () => new Error('busy'), () => new Error('gone'));
    const gate = deferred();
    const first = limit.run(() => gate.promise.then(() => 'first'));
    const caller = { destroyed: false };
    const ran: string[] = [];
    const leaving = limit.run(async () => ran.push('left'), caller);
    const staying = limit.run(async () => 'stayed', { destroyed: false });
    caller.destroyed = true;
    gate.resolve();
    expect(await first).toBe('first');
    await expect(leaving).rejects.toThrow('gone');
    expect(await staying).toBe('stayed');
    expect(ran).toEqual([]);
    expect(limit.running).toBe(0);
    // A task that got a slot at once runs whatever happens to its caller.
    expect(await limit.run(async () => 'ran', { destroyed: true })).toBe('ran');
  });

  it('closing the queue refuses the tasks waiting and any that would wait; running ones finish, a free slot still runs', async () => {
    const limit = new ConcurrencyLimit(1, 5, () => new Error('busy'));
    const gate = deferred();
    const running = limit.run(() => gate.promise.then(() => 'finished'));
    const ran: string[] = [];
    const waiting = limit.run(async () => ran.push('waiting'));
    limit.closeQueue(() => new Error('stopping'));
    await expect(waiting).rejects.toThrow('stopping');
    await expect(limit.run(async () => ran.push('later'))).rejects.toThrow('stopping');
    gate.resolve();
    expect(await running).toBe('finished');
    expect(ran).toEqual([]);
    expect(limit.running).toBe(0);
    expect(await limit.run(async () => 'free slot')).toBe('free slot');
  });

  it('with maxQueue 0 refuses as soon as all slots are taken', async () => {
    const limit = new ConcurrencyLimit(1, 0, () => new Error('busy'));
    const gate = deferred();
    const first = limit.run(() => gate.promise);
    await expect(limit.run(async () => 1)).rejects.toThrow('busy');
    gate.resolve();
    await first;
  });
});
