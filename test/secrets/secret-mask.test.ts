/**
 * The masker the delivery log (a receiver echoing a subscription's custom headers) and the chat
 * provider (errors quoting its key) share: each secret is found however an echo writes it.
 */
import { describe, expect, it } from 'vitest';
import { secretMask } from '../../src/secrets/secret-mask.js';

const TOKEN = 'Bearer abc/def+ghi=jkl&mnop';
const mask = secretMask([TOKEN]);
/** A value with every character HTML and JSON escape. */
const QUOTED = `tok'en<"x>&y\\Zq8W`;
const maskQuoted = secretMask([QUOTED]);

describe('secretMask', () => {
  it.each([
    ['as sent', TOKEN],
    ['JSON.stringify', JSON.stringify(TOKEN).slice(1, -1)],
    ["JSON with escaped slashes (PHP's json_encode)", 'Bearer abc\\/def+ghi=jkl&mnop'],
    ["JSON with \\u escapes (Go's encoding/json writes & as \\u0026)", 'Bearer abc/def+ghi=jkl\\u0026mnop'],
    ['JSON escaped to ASCII, upper-case hex', 'Bearer\\u0020abc\\u002Fdef+ghi=jkl\\u0026mnop'],
    ['percent-encoded, upper-case hex', encodeURIComponent(TOKEN)],
    ['percent-encoded, lower-case hex', 'Bearer%20abc%2fdef%2bghi%3djkl%26mnop'],
    ['form-encoded', new URLSearchParams({ v: TOKEN }).toString().slice(2)],
    ['HTML-escaped', 'Bearer abc/def+ghi=jkl&amp;mnop'],
    ['HTML-escaped, numeric entities', 'Bearer abc&#x2F;def+ghi&#61;jkl&#38;mnop'],
  ])('masks the value %s', (_, form) => {
    expect(mask(`<p>refused "${form}" here</p>`)).toBe('<p>refused "[redacted]" here</p>');
  });

  it.each([
    ['HTML-escaped, &quot; and &#39;', 'tok&#39;en&lt;&quot;x&gt;&amp;y\\Zq8W'],
    ['HTML-escaped, &#x27; (Python html.escape, React)', 'tok&#x27;en&lt;&quot;x&gt;&amp;y\\Zq8W'],
    ["HTML-escaped, &#039; (PHP's htmlspecialchars)", 'tok&#039;en&lt;&quot;x&gt;&amp;y\\Zq8W'],
    ['HTML-escaped, &#34; and &#39; (Go html/template)', 'tok&#39;en&lt;&#34;x&gt;&amp;y\\Zq8W'],
    ['JSON.stringify', JSON.stringify(QUOTED).slice(1, -1)],
  ])('masks a value with quotes and brackets %s', (_, form) => {
    expect(maskQuoted(`before ${form} after`)).toBe('before [redacted] after');
  });

  it('masks the quoted value of an HTML error page', () => {
    expect(mask('<p>Invalid token &quot;Bearer abc/def+ghi=jkl&amp;mnop&quot;</p>')).toBe('<p>Invalid token &quot;[redacted]&quot;</p>');
  });

  it('masks a part of the value (the token of "Bearer <token>") written on its own', () => {
    expect(mask('token=abc%2fdef%2Bghi%3Djkl%26mnop;')).toBe('token=[redacted];');
  });

  it.each([
    ['as sent', TOKEN],
    ['percent-encoded, lower-case hex', 'Bearer%20abc%2fdef%2bghi%3djkl%26mnop'],
    ['HTML-escaped', 'Bearer abc/def+ghi=jkl&amp;mnop'],
    ["JSON with escaped slashes", 'Bearer abc\\/def+ghi=jkl&mnop'],
  ])('masks the value %s when the text ends inside it (a body cut at the 1 KiB limit)', (_, form) => {
    for (const keep of [6, 12, form.length - 1]) {
      expect(mask(`echo: ${form.slice(0, keep)}`)).toBe('echo: [redacted]');
    }
    // Cut in the middle of an escape too.
    const escape = form.search(/%2f|&amp;|\\\//);
    if (escape > 0) expect(mask(`echo: ${form.slice(0, escape + 2)}`)).toBe('echo: [redacted]');
  });

  it('masks every secret given, and leaves other text alone', () => {
    const both = secretMask(['first-secret-value', 'whsec_c2lnbmluZy1rZXk=']);
    expect(both('a first-secret-value b c2lnbmluZy1rZXk= c whsec_c2lnbmluZy1rZXk= d')).toBe('a [redacted] b [redacted] c [redacted] d');
    expect(both('nothing secret here: first-secret, abc, %2F, &amp;')).toBe('nothing secret here: first-secret, abc, %2F, &amp;');
  });

  it('ignores values too short to be a secret, and does not mistake a short text end for one', () => {
    expect(secretMask(['abc'])('abc abc')).toBe('abc abc');
    expect(mask('ends with Bea')).toBe('ends with Bea');
  });
});
