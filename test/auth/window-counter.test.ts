import { describe, expect, it } from 'vitest';
import { WindowCounter } from '../../src/auth/window-counter.js';

describe('WindowCounter (in-memory fixed windows)', () => {
  it('counts hits in the window the first hit opened, then starts a new one', () => {
    const counter = new WindowCounter(60_000);
    expect(counter.hit('k', 3, 1_000)).toEqual({ count: 1, endsAt: 61_000 });
    expect(counter.hit('k', 3, 30_000)).toEqual({ count: 2, endsAt: 61_000 });
    expect(counter.hit('k', 3, 60_999)).toEqual({ count: 3, endsAt: 61_000 });
    // Hits over the limit are still counted: the caller decides to refuse.
    expect(counter.hit('k', 3, 60_999).count).toBe(4);
    // The window ends at 61 000 exactly; the next hit opens a fresh one.
    expect(counter.hit('k', 3, 61_000)).toEqual({ count: 1, endsAt: 121_000 });
  });

  it('keeps keys apart', () => {
    const counter = new WindowCounter(60_000);
    counter.hit('a', 10, 0);
    counter.hit('a', 10, 1);
    expect(counter.hit('b', 10, 2)).toEqual({ count: 1, endsAt: 60_002 });
    expect(counter.hit('a', 10, 3).count).toBe(3);
  });

  it('starts a fresh window when the limit changes, so a raised limit applies at once', () => {
    const counter = new WindowCounter(60_000);
    for (let t = 0; t < 5; t++) counter.hit('k', 5, t);
    expect(counter.hit('k', 5, 10).count).toBe(6);
    expect(counter.hit('k', 50, 11)).toEqual({ count: 1, endsAt: 60_011 });
  });

  it('drops ended windows, so keys that stop calling are not kept forever', () => {
    const counter = new WindowCounter(1_000);
    for (let i = 0; i < 100; i++) counter.hit(`key-${i}`, 1, 0);
    expect(counter.size).toBe(100);
    // The first hit after a window's length sweeps the ended windows away.
    counter.hit('late', 1, 2_000);
    expect(counter.size).toBe(1);
  });

  it('takes back a hit of the current window only, never below zero', () => {
    const counter = new WindowCounter(1_000);
    counter.hit('k', 5, 0);
    counter.hit('k', 5, 1);
    counter.unhit('k', 2);
    expect(counter.hit('k', 5, 3).count).toBe(2);
    // A hit of an ended window is not taken from the next one.
    counter.unhit('k', 1_000);
    expect(counter.hit('k', 5, 1_001)).toEqual({ count: 1, endsAt: 2_001 });
    counter.unhit('k', 1_002);
    counter.unhit('k', 1_003);
    expect(counter.hit('k', 5, 1_004).count).toBe(1);
    counter.unhit('unknown', 5);
    expect(counter.size).toBe(1);
  });
});
