import { describe, expect, it } from 'vitest';
import { endpointKey, KeyedSemaphore } from '../../src/events/concurrency.js';

describe('endpointKey', () => {
  it.each([
    ['https://n8n.example.com/webhook/a', 'https://n8n.example.com'],
    ['https://n8n.example.com:443/webhook/b?x=1', 'https://n8n.example.com'],
    ['http://n8n.example.com:5678/webhook/c', 'http://n8n.example.com:5678'],
    ['HTTPS://N8N.Example.com/x', 'https://n8n.example.com'],
  ])('%s → %s', (url, key) => {
    expect(endpointKey(url)).toBe(key);
  });
});

describe('KeyedSemaphore', () => {
  it('limits in-flight work per key without affecting other keys', () => {
    const sem = new KeyedSemaphore(2);
    const a1 = sem.tryAcquire('a');
    const a2 = sem.tryAcquire('a');
    expect(a1).not.toBeNull();
    expect(a2).not.toBeNull();
    expect(sem.tryAcquire('a')).toBeNull();
    expect(sem.tryAcquire('b')).not.toBeNull(); // a slow "a" does not starve "b"
    expect(sem.inFlight('a')).toBe(2);
    a1!();
    expect(sem.inFlight('a')).toBe(1);
    expect(sem.tryAcquire('a')).not.toBeNull();
  });

  it('ignores double releases', () => {
    const sem = new KeyedSemaphore(1);
    const r = sem.tryAcquire('a')!;
    r();
    r();
    expect(sem.inFlight('a')).toBe(0);
    expect(sem.tryAcquire('a')).not.toBeNull();
    expect(sem.tryAcquire('a')).toBeNull();
  });

  it('hands slots to waiters in FIFO order', async () => {
    const sem = new KeyedSemaphore(1);
    const first = sem.tryAcquire('a')!;
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) => sem.acquire('a').then((release) => { order.push(n); return release; }));
    expect(sem.waiting('a')).toBe(3);
    first();
    (await waiters[0])();
    (await waiters[1])();
    (await waiters[2])();
    expect(order).toEqual([1, 2, 3]);
    expect(sem.inFlight('a')).toBe(0);
    expect(sem.trackedKeys).toBe(0);
  });

  it('never exceeds the limit under concurrent runs (property)', async () => {
    const sem = new KeyedSemaphore(3);
    let current = 0;
    let peak = 0;
    const tasks = Array.from({ length: 40 }, (_, i) =>
      sem.run('a', async () => {
        current += 1;
        peak = Math.max(peak, current);
        await new Promise((r) => setTimeout(r, i % 3));
        current -= 1;
        return i;
      }),
    );
    expect(await Promise.all(tasks)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(peak).toBe(3);
    expect(sem.trackedKeys).toBe(0);
  });

  it('releases the slot when the task throws', async () => {
    const sem = new KeyedSemaphore(1);
    await expect(sem.run('a', async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(sem.inFlight('a')).toBe(0);
  });

  it('drops an aborted waiter without consuming a slot', async () => {
    const sem = new KeyedSemaphore(1);
    const held = sem.tryAcquire('a')!;
    const controller = new AbortController();
    const waiting = sem.acquire('a', controller.signal);
    controller.abort(new Error('shutdown'));
    await expect(waiting).rejects.toThrow('shutdown');
    expect(sem.waiting('a')).toBe(0);
    held();
    expect(sem.inFlight('a')).toBe(0);
    await expect(sem.acquire('a', AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
    expect(sem.inFlight('a')).toBe(0);
  });

  it('rejects a nonsensical limit', () => {
    expect(() => new KeyedSemaphore(0)).toThrow(RangeError);
  });
});
