import crypto from 'node:crypto';
import { BoundedMemo } from '../cache/bounded-memo.js';

/**
 * AES-256-GCM for secrets at rest (Odoo passwords and API keys, HMAC secrets). The format is
 * versioned so the scheme can change without a data migration: `v1.<iv>.<tag>.<ciphertext>`.
 */
export class SecretBox {
  private readonly recent = new BoundedMemo<string>(1000, (sealed) => this.decrypt(sealed));

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
  }

  encrypt(plaintext: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  /**
   * decrypt() for secrets used on every request (HMAC secrets): a small bounded memo, since a
   * fresh decipher per call is a measurable share of the request. Plaintext only ever lives in
   * this process's memory, as it does while a request is verified anyway.
   */
  decryptCached(sealed: string): string {
    return this.recent.get(sealed);
  }

  /** The secret, or undefined when it does not open with this key (sealed by another relay, or damaged). */
  tryDecrypt(sealed: string): string | undefined {
    try {
      return this.decrypt(sealed);
    } catch {
      return undefined;
    }
  }

  decrypt(sealed: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('Unrecognized sealed secret format');
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }
}
