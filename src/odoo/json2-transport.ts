/** JSON-2 (`POST /json/2/<model>/<method>`, bearer API key): Odoo 19+'s external API, ~40% cheaper than execute_kw. */
import { parseJson2Response } from './envelope.js';
import type { OdooHttp } from './http.js';

/** Calls `model.method(**params)` over JSON-2. */
export class Json2Transport {
  constructor(
    private readonly http: OdooHttp,
    private readonly database: string,
    private readonly apiKey: string,
    private readonly timeoutMs: number,
  ) {}

  /** One round trip; returns the result or throws the mapped OdooError. */
  async call(model: string, method: string, params: Record<string, unknown>): Promise<unknown> {
    const raw = await this.http.request({
      method: 'POST',
      path: `/json/2/${encodeURIComponent(model)}/${encodeURIComponent(method)}`,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        authorization: `bearer ${this.apiKey}`,
        // Needed when the server hosts several databases; harmless otherwise.
        'x-odoo-database': this.database,
      },
      body: JSON.stringify(params),
      timeoutMs: this.timeoutMs,
    });
    return parseJson2Response(raw);
  }
}
