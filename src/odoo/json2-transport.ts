/** JSON-2 (`POST /json/2/<model>/<method>`, bearer API key): Odoo 19+'s external API, ~40% cheaper than execute_kw. */
import { json2ResultText, parseJson2Response } from './envelope.js';
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
  call(model: string, method: string, params: Record<string, unknown>): Promise<unknown> {
    return this.send(model, method, params).then(parseJson2Response);
  }

  /**
   * call(), answering the result as Odoo's JSON text (a JSON-2 answer is the bare result),
   * checked to be JSON but not parsed: for callers that pass it on as it is.
   */
  callText(model: string, method: string, params: Record<string, unknown>): Promise<string> {
    return this.send(model, method, params).then(json2ResultText);
  }

  private send(model: string, method: string, params: Record<string, unknown>) {
    return this.http.request({
      method: 'POST',
      path: `/json/2/${encodeURIComponent(model)}/${encodeURIComponent(method)}`,
      headers: this.headers,
      body: JSON.stringify(params),
      timeoutMs: this.timeoutMs,
    });
  }
}
