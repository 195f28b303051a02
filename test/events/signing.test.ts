import crypto from 'node:crypto';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { secretRotationOf } from '../../src/events/subscriptions-store.js';
import type { SubscriptionsTable } from '../../src/storage/schema.js';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  generateSigningSecret,
  generateWebhookId,
  signDelivery,
  signingSecrets,
} from '../../src/events/signing.js';

const body = JSON.stringify({ type: 'res.partner.created', data: { id: 55, name: 'Ünïcode ✓' } });

function verify(secret: string, headers: Record<string, string>, payload = body) {
  return new Webhook(secret).verify(payload, headers);
}

describe('generateSigningSecret', () => {
  it('produces distinct, well-formed whsec_ secrets', () => {
    const secrets = new Set(Array.from({ length: 20 }, generateSigningSecret));
    expect(secrets.size).toBe(20);
    for (const s of secrets) {
      expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    }
  });
});

describe('generateWebhookId', () => {
  it('is msg_ + 26 Crockford base32 characters', () => {
    expect(generateWebhookId()).toMatch(/^msg_[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it('sorts by time and is unique within the same millisecond', () => {
    const a = generateWebhookId(1_000);
    const b = generateWebhookId(2_000);
    expect(a < b).toBe(true);
    const sameMs = new Set(Array.from({ length: 100 }, () => generateWebhookId(5)));
    expect(sameMs.size).toBe(100);
  });

  it('is deterministic given time and randomness', () => {
    const id = generateWebhookId(0, new Uint8Array(10));
    expect(id).toBe('msg_' + '0'.repeat(26));
    expect(generateWebhookId(Date.UTC(2026, 10, 25), new Uint8Array(10).fill(255))).toMatch(
      /ZZZZZZZZZZZZZZZZ$/,
    );
  });
});

describe('signDelivery', () => {
  const secret = generateSigningSecret();
  const webhookId = generateWebhookId();

  it('produces headers a Standard Webhooks receiver accepts', () => {
    const headers = signDelivery({ secret, webhookId, timestamp: new Date(), body });
    expect(headers['webhook-id']).toBe(webhookId);
    expect(headers['webhook-timestamp']).toMatch(/^\d{10}$/);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(verify(secret, { ...headers })).toEqual(JSON.parse(body));
  });

  it('verifies non-JSON (XML) bodies with jsonParse off', () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?><event><id>1</id></event>';
    const headers = signDelivery({ secret, webhookId, timestamp: new Date(), body: xml });
    expect(() =>
      new Webhook(secret).verify(xml, { ...headers }, { jsonParse: false }),
    ).not.toThrow();
  });

  it.each<[string, (h: Record<string, string>) => [string, Record<string, string>]]>([
    ['a tampered body', (h) => [body.replace('55', '56'), h]],
    ['a different webhook-id', (h) => [body, { ...h, 'webhook-id': 'msg_other' }]],
    ['a shifted timestamp', (h) => [body, { ...h, 'webhook-timestamp': String(Number(h['webhook-timestamp']) - 1) }]],
    ['a missing signature', (h) => [body, { ...h, 'webhook-signature': '' }]],
  ])('is rejected after %s', (_name, tamper) => {
    const headers = signDelivery({ secret, webhookId, timestamp: new Date(), body });
    const [payload, changed] = tamper({ ...headers });
    expect(() => verify(secret, changed, payload)).toThrow(WebhookVerificationError);
  });

  it('is rejected with another secret', () => {
    const headers = signDelivery({ secret, webhookId, timestamp: new Date(), body });
    expect(() => verify(generateSigningSecret(), { ...headers })).toThrow(WebhookVerificationError);
  });

  it('is rejected by receivers when the timestamp is older than their tolerance', () => {
    const headers = signDelivery({
      secret,
      webhookId,
      timestamp: new Date(Date.now() - 10 * 60_000),
      body,
    });
    expect(() => verify(secret, { ...headers })).toThrow(/too old/);
  });

  it('keeps the webhook-id stable across attempts while the signature changes', () => {
    const first = signDelivery({ secret, webhookId, timestamp: new Date(Date.now() - 60_000), body });
    const retry = signDelivery({ secret, webhookId, timestamp: new Date(), body });
    expect(retry['webhook-id']).toBe(first['webhook-id']);
    expect(retry['webhook-signature']).not.toBe(first['webhook-signature']);
    expect(() => verify(secret, { ...retry })).not.toThrow();
  });
});

describe('secret rotation', () => {
  const oldSecret = generateSigningSecret();
  const newSecret = generateSigningSecret();
  const now = Date.now();
  const rotation = { current: newSecret, previous: [{ secret: oldSecret, until: now + 86_400_000 }] };

  it('signs with both secrets inside the window, so old and new receivers verify', () => {
    const secrets = signingSecrets(rotation, now);
    expect(secrets).toEqual([newSecret, oldSecret]);
    const headers = signDelivery({ secret: secrets, webhookId: 'msg_x', timestamp: new Date(now), body });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => verify(oldSecret, { ...headers })).not.toThrow();
    expect(() => verify(newSecret, { ...headers })).not.toThrow();
  });

  it('drops the previous secret once the window is over', () => {
    const secrets = signingSecrets(rotation, rotation.previous[0]!.until);
    expect(secrets).toEqual([newSecret]);
    const headers = signDelivery({ secret: secrets, webhookId: 'msg_x', timestamp: new Date(), body });
    expect(() => verify(oldSecret, { ...headers })).toThrow(WebhookVerificationError);
    expect(() => verify(newSecret, { ...headers })).not.toThrow();
  });

  it('signs once when there is no rotation or previous equals current', () => {
    expect(signingSecrets({ current: newSecret, previous: [] }, now)).toEqual([newSecret]);
    expect(signingSecrets({ current: newSecret, previous: [{ secret: newSecret, until: now + 1 }] }, now)).toEqual([newSecret]);
  });

  it('signs with every replaced secret inside its own window, after two rotations', () => {
    const middle = generateSigningSecret();
    const twice = { current: newSecret, previous: [{ secret: middle, until: now + 86_400_000 }, { secret: oldSecret, until: now + 3_600_000 }] };
    expect(signingSecrets(twice, now)).toEqual([newSecret, middle, oldSecret]);
    expect(signingSecrets(twice, now + 3_600_000)).toEqual([newSecret, middle]);
  });

  it('refuses to sign with no secret at all', () => {
    expect(() => signDelivery({ secret: [], webhookId: 'msg_x', timestamp: new Date(), body })).toThrow();
  });
});

describe('stored rotations', () => {
  const box = new SecretBox(crypto.randomBytes(32));
  const row = (previousEnc: string | null, previousUntil: number | null) =>
    ({ secret_enc: box.encrypt('whsec_current'), previous_secret_enc: previousEnc, previous_secret_until: previousUntil }) as SubscriptionsTable;

  it('reads a row from before rotation lists: the previous secret itself, valid until previous_secret_until', () => {
    expect(secretRotationOf(row(box.encrypt('whsec_old'), 1234), box)).toEqual({ current: 'whsec_current', previous: [{ secret: 'whsec_old', until: 1234 }] });
    expect(secretRotationOf(row(null, null), box)).toEqual({ current: 'whsec_current', previous: [] });
  });

  it('reads the list a rotation stores, newest first', () => {
    const list = [{ secret: 'whsec_b', until: 2000 }, { secret: 'whsec_a', until: 1000 }];
    expect(secretRotationOf(row(box.encrypt(JSON.stringify(list)), 2000), box).previous).toEqual(list);
  });
});
