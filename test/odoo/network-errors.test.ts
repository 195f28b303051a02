import { describe, expect, it } from 'vitest';
import { OdooError } from '../../src/odoo/errors.js';
import { networkError } from '../../src/odoo/http.js';
import { badResponse } from '../../src/odoo/envelope.js';

/** DNS and TLS failures cannot be produced reliably on a CI machine, so the mapping is tested as a table. */
describe('networkError', () => {
  const origin = 'https://erp.example.com';
  const withCode = (code: string) => Object.assign(new Error(`x ${code}`), { code });

  // The last column: whether the call may have reached Odoo (its outcome unknown), which keeps an Idempotency-Key.
  it.each([
    ['ECONNREFUSED', 'odoo_unreachable', /connection refused/, false],
    ['ENOTFOUND', 'odoo_unreachable', /host not found/, false],
    ['EAI_AGAIN', 'odoo_unreachable', /host not found/, false],
    ['ECONNRESET', 'odoo_unreachable', /connection dropped.*may or may not/, true],
    ['UND_ERR_SOCKET', 'odoo_unreachable', /connection dropped/, true],
    ['UND_ERR_CONNECT_TIMEOUT', 'odoo_unreachable', /connect timed out/, false],
    ['CERT_HAS_EXPIRED', 'odoo_unreachable', /network error CERT_HAS_EXPIRED/, false],
    ['UND_ERR_HEADERS_TIMEOUT', 'odoo_timeout', /within 1000 ms/, true],
    ['UND_ERR_BODY_TIMEOUT', 'odoo_timeout', /may still complete/, true],
  ])('%s → %s', (code, expected, message, mayHaveRun) => {
    const error = networkError(withCode(code), false, origin, 1000);
    expect(error.code).toBe(expected);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(origin);
    expect(Boolean(error.mayHaveRun)).toBe(mayHaveRun);
  });

  it.each([
    [502, true],
    [504, true],
    [500, false],
    [200, false],
  ])('an HTML answer with HTTP %i may have run on Odoo: %s (502 and 504 come from a gateway that gave up waiting)', (status, mayHaveRun) => {
    const error = badResponse({ status, contentType: 'text/html', text: '<html><body>Bad Gateway</body></html>' });
    expect(error.code).toBe('odoo_bad_response');
    expect(Boolean(error.mayHaveRun)).toBe(mayHaveRun);
  });

  it("answers a proxy's 429 or 503 in front of Odoo as odoo_unavailable, with its Retry-After within bounds, as a call that did not run", () => {
    const html = { contentType: 'text/html', text: '<html><body>Too Many Requests</body></html>' };
    for (const [status, retryAfter, seconds] of [
      [429, '30', 30],
      [503, undefined, 5],
      [503, '86400', 3600],
      [429, '0', 1],
      [503, new Date(Date.now() + 120_000).toUTCString(), 120],
    ] as const) {
      const error = badResponse({ status, ...html, retryAfter });
      expect(error.code).toBe('odoo_unavailable');
      expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(seconds - 1);
      expect(error.retryAfterSeconds).toBeLessThanOrEqual(seconds);
      expect(Boolean(error.mayHaveRun)).toBe(false);
    }
    // A JSON body (a load balancer's) too.
    expect(badResponse({ status: 503, contentType: 'application/json', text: '{"error":"maintenance"}' }, 'not a JSON-RPC answer').code).toBe('odoo_unavailable');
  });

  it("names a redirect and where it points, without its query, in Odoo's bad answer", () => {
    const error = badResponse({ status: 301, contentType: '', text: '', location: 'https://odoo.example.com/odoo?token=secret' });
    expect(error.code).toBe('odoo_bad_response');
    expect(error.message).toBe(
      "Odoo answered HTTP 301 with a redirect to https://odoo.example.com/odoo (the relay does not follow redirects: set the connection's URL to where Odoo is) (no content type, 0 bytes)",
    );
    expect(badResponse({ status: 303, contentType: 'text/html', text: '<html></html>', location: '/web/login' }).message).toMatch(/^Odoo answered HTTP 303 with a redirect \(the relay/);
  });

  it('finds the code on a wrapped cause', () => {
    const wrapped = Object.assign(new TypeError('fetch failed'), { cause: withCode('ECONNREFUSED') });
    expect(networkError(wrapped, false, origin, 1000).code).toBe('odoo_unreachable');
  });

  it('our own deadline wins over whatever abort error undici raised', () => {
    const abort = Object.assign(new Error('aborted'), { code: 'UND_ERR_ABORTED' });
    expect(networkError(abort, true, origin, 1000).code).toBe('odoo_timeout');
  });

  it('passes OdooErrors through', () => {
    const own = new OdooError('odoo_bad_response', 'too big');
    expect(networkError(own, false, origin, 1000)).toBe(own);
  });
});
