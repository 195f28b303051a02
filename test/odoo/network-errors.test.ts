import { describe, expect, it } from 'vitest';
import { OdooError } from '../../src/odoo/errors.js';
import { networkError } from '../../src/odoo/http.js';

/** DNS and TLS failures cannot be produced reliably on a CI machine, so the mapping is tested as a table. */
describe('networkError', () => {
  const origin = 'https://erp.example.com';
  const withCode = (code: string) => Object.assign(new Error(`x ${code}`), { code });

  it.each([
    ['ECONNREFUSED', 'odoo_unreachable', /connection refused/],
    ['ENOTFOUND', 'odoo_unreachable', /host not found/],
    ['EAI_AGAIN', 'odoo_unreachable', /host not found/],
    ['ECONNRESET', 'odoo_unreachable', /connection dropped.*may or may not/],
    ['UND_ERR_SOCKET', 'odoo_unreachable', /connection dropped/],
    ['UND_ERR_CONNECT_TIMEOUT', 'odoo_unreachable', /connect timed out/],
    ['CERT_HAS_EXPIRED', 'odoo_unreachable', /network error CERT_HAS_EXPIRED/],
    ['UND_ERR_HEADERS_TIMEOUT', 'odoo_timeout', /within 1000 ms/],
    ['UND_ERR_BODY_TIMEOUT', 'odoo_timeout', /may still complete/],
  ])('%s → %s', (code, expected, message) => {
    const error = networkError(withCode(code), false, origin, 1000);
    expect(error.code).toBe(expected);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(origin);
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
