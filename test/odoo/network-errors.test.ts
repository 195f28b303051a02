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
    [503, false],
    [500, false],
    [200, false],
  ])('an HTML answer with HTTP %i may have run on Odoo: %s (502 and 504 come from a gateway that gave up waiting)', (status, mayHaveRun) => {
    const error = badResponse({ status, contentType: 'text/html', text: '<html><body>Bad Gateway</body></html>' });
    expect(error.code).toBe('odoo_bad_response');
    expect(Boolean(error.mayHaveRun)).toBe(mayHaveRun);
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
