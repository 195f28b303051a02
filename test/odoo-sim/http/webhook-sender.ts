/**
 * Sends the POSTs of automation rules' webhook actions the way Odoo does: `requests.post(url,
 * json=body, timeout=1)` from the server, one after another, never retried, after the RPC that
 * caused them has been answered.
 */
import { request } from 'undici';
import type { AutomationWebhookPost } from '../contract.js';
import { pythonJsonDumps } from './python-json.js';

export interface WebhookPostRecord {
  url: string;
  body: unknown;
  status: number | 'error';
}

/** Headers python-requests 2.28.1 sends for `json=` bodies (Content-Length is added per body). */
const REQUESTS_HEADERS = {
  'user-agent': 'python-requests/2.28.1',
  'accept-encoding': 'gzip, deflate',
  accept: '*/*',
  connection: 'keep-alive',
  'content-type': 'application/json',
};

export const WEBHOOK_TIMEOUT_MS = 1000;

export class WebhookSender {
  private queue: AutomationWebhookPost[] = [];
  private draining: Promise<void> | null = null;
  private closed = false;

  constructor(readonly log: WebhookPostRecord[]) {}

  /** Called synchronously from inside the engine's change; sending starts on a later tick. */
  enqueue(post: AutomationWebhookPost): void {
    if (this.closed) return;
    this.queue.push(post);
    if (!this.draining) {
      this.draining = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => this.drain())
        .finally(() => {
          this.draining = null;
        });
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const post = this.queue.shift()!;
      this.log.push({ url: post.url, body: post.body, status: await this.send(post) });
    }
  }

  private async send(post: AutomationWebhookPost): Promise<number | 'error'> {
    try {
      const body = pythonJsonDumps(post.body);
      const res = await request(post.url, {
        method: 'POST',
        headers: { ...REQUESTS_HEADERS, 'content-length': String(Buffer.byteLength(body)) },
        body,
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      // Odoo ignores the answer; read it anyway so the connection can be reused.
      await res.body.dump();
      return res.statusCode;
    } catch {
      return 'error';
    }
  }

  /** Resolves when every queued POST has been attempted. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Drops what is still queued (the server is going away) and waits for the POST in flight. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    await this.idle();
  }

  reopen(): void {
    this.closed = false;
  }
}
