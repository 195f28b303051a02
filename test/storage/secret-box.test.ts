import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { loadMasterKey } from '../../src/secrets/master-key.js';

describe('secrets at rest', () => {
  const box = new SecretBox(crypto.randomBytes(32));

  it('round-trips and never stores the plaintext', () => {
    const sealed = box.encrypt('odoo-password-123');
    expect(sealed).not.toContain('odoo-password-123');
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(box.decrypt(sealed)).toBe('odoo-password-123');
    // A fresh IV each time: equal secrets do not look equal at rest.
    expect(box.encrypt('odoo-password-123')).not.toBe(sealed);
  });

  it('detects tampering and a wrong key (GCM tag)', () => {
    const sealed = box.encrypt('secret');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => box.decrypt(parts.join('.'))).toThrow();
    expect(() => new SecretBox(crypto.randomBytes(32)).decrypt(sealed)).toThrow();
  });

  it('creates the master key file once, with 0600 permissions, and reuses it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mk-'));
    const first = loadMasterKey({ dataDir: dir });
    expect(first).toMatchObject({ source: path.join(dir, 'master.key'), created: true });
    const mode = fs.statSync(path.join(dir, 'master.key')).mode & 0o777;
    expect(mode).toBe(0o600);
    const again = loadMasterKey({ dataDir: dir });
    expect(again.key.equals(first.key)).toBe(true);
    expect(again.created).toBe(false);
    expect(first.key.length).toBe(32);
    const env = crypto.randomBytes(32).toString('base64');
    expect(loadMasterKey({ dataDir: dir, masterKey: env })).toMatchObject({ source: 'MASTER_KEY', created: false });
    expect(loadMasterKey({ dataDir: dir, masterKey: env }).key.toString('base64')).toBe(env);
    fs.rmSync(dir, { recursive: true });
  });
});
