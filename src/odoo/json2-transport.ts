/** JSON-2 (`POST /json/2/<model>/<method>`, bearer API key): Odoo 19+'s external API, ~40% cheaper than execute_kw. */
import { parseJson2Response } from './envelope.js';
import { DEFAULT_HEADERS, type OdooHttp } from './http.js';

/** Calls `model.method(**params)` over JSON-2. */
export class Json2Transport {
  /** Built once: the same for every call of this connection. */
  private readonly headers: Readonly<Record<string, string>>;

  constructor(
    private readonly http: OdooHttp,
    database: string,
    apiKey: string,
    private readonly timeoutMs: number,
  ) {
    this.headers = Object.freeze({
      ...DEFAULT_HEADERS,
      'content-type': 'application/json; charset=utf-8',
      authorization: `bearer ${apiKey}`,
      // Needed when the server hosts several databases; harmless otherwise.
      'x-odoo-database': database,
    });
  }

  /** One round trip; returns the result or throws the mapped OdooError. */
  async call(model: string, method: string, params: Record<string, unknown>): Promise<unknown> {
    return (await this.callVerbatim(model, method, params)).value;
  }

  /** call(), with the answer's JSON text beside its parsed value (a JSON-2 answer is the bare result). */
  async callVerbatim(model: string, method: string, params: Record<string, unknown>): Promise<{ value: unknown; text: string }> {
    const raw = await this.http.request({
      method: 'POST',
      path: `/json/2/${encodeURIComponent(model)}/${encodeURIComponent(method)}`,
      headers: this.headers,
      body: JSON.stringify(params),
      timeoutMs: this.timeoutMs,
    });
    return { value: parseJson2Response(raw), text: raw.text };
  }
}
