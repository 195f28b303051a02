/**
 * A closed-loop load generator that switches between paths many times a second.
 *
 * On the shared 2-vCPU VM the machine's speed drifts over seconds: in a slow spell every
 * thread, the Odoo test server's and the load generator's included, takes a third longer per
 * call. Phases of five seconds per path, one after the other, land in different spells, so one
 * round's relay/proxy ratio can move by 0.2 with no change in the code. Here one worker thread
 * keeps a warm keep-alive pool per path and loads them in short windows, in the order
 * A B B A A B B A …, so that both paths sample the same spells and a steady drift cancels. The
 * caller (the main thread) starts each window, which lets it read the server's CPU time per
 * window as well.
 */
import { Worker } from 'node:worker_threads';
import { closedLoopSource } from './load.js';
import type { Path } from './paths.js';

/** What one window of one path did. */
export interface WindowResult {
  requests: number;
  errors: number;
  /** From the first request sent to the last answer read (the in-flight calls at the end included). */
  seconds: number;
}

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
${closedLoopSource}
const { targets, connections, expectStatus } = workerData;
const pools = targets.map((t) => keepAlivePool(t.origin, connections));
parentPort.on('message', async (m) => {
  if (m.close) {
    await Promise.all(pools.map((p) => p.close()));
    parentPort.postMessage({ closed: true });
    return;
  }
  const t = targets[m.target];
  const start = performance.now();
  const { requests, errors } = await closedLoop(pools[m.target], { path: t.pathname, headers: t.headers, body: t.body }, connections, expectStatus, start + m.ms);
  parentPort.postMessage({ requests, errors, seconds: (performance.now() - start) / 1000 });
});
`;

/** A load worker with a warm pool per target; `window(i, ms)` loads target i for ms milliseconds. */
export class AlternatingLoad {
  private readonly worker: Worker;
  private pending: ((m: WindowResult) => void) | undefined;

  constructor(targets: Path[], connections: number, expectStatus = 200) {
    this.worker = new Worker(workerSource, { eval: true, workerData: { targets, connections, expectStatus } });
    this.worker.on('message', (m: WindowResult) => {
      const resolve = this.pending;
      this.pending = undefined;
      resolve?.(m);
    });
  }

  window(target: number, ms: number): Promise<WindowResult> {
    if (this.pending) throw new Error('one window at a time');
    return new Promise((resolve) => {
      this.pending = resolve;
      this.worker.postMessage({ target, ms });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.pending = () => resolve();
      this.worker.postMessage({ close: true });
    });
    await this.worker.terminate();
  }
}

/** The window order for `pairs` pairs of targets 0 and 1: 0 1, 1 0, 0 1, … (A B B A A B …). */
export function abbaOrder(pairs: number): [number, number][] {
  return Array.from({ length: pairs }, (_, i) => (i % 2 === 0 ? [0, 1] : [1, 0]));
}
