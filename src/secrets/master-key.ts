import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { ConfigError } from '../config.js';

/** The master key and where it came from, for messages that tell the operator what to fix. */
export interface MasterKey {
  key: Buffer;
  /** `MASTER_KEY`, or the key file's path. */
  source: string;
  /** The key file was created by this call (there was none). */
  created: boolean;
}

/**
 * The master key comes from MASTER_KEY, or from DATA_DIR/master.key, which is created with 0600
 * permissions when there is none. Losing it makes stored Odoo credentials unreadable, so the
 * file is never overwritten; whether a created key fits the database is checkMasterKey's job.
 */
export function loadMasterKey(opts: { masterKey?: string; dataDir: string }): MasterKey {
  if (opts.masterKey) return { key: Buffer.from(opts.masterKey, 'base64'), source: 'MASTER_KEY', created: false };
  const file = path.join(opts.dataDir, 'master.key');
  fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  let created = false;
  try {
    const fd = fs.openSync(file, 'wx', 0o600);
    try {
      fs.writeSync(fd, crypto.randomBytes(32).toString('base64') + '\n');
      // On disk before anything is sealed with it: a crash here must not leave an empty key file.
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const fix = 'restore the original master.key from your backup (or set MASTER_KEY to its content)';
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): ${fix}`);
  }
  const key = Buffer.from(text.trim(), 'base64');
  // The content is not quoted: it is (or was meant to be) the key.
  if (!/^[A-Za-z0-9+/]{43}=$/.test(text.trim()) || key.length !== 32) throw new ConfigError(`${file} does not hold a 32-byte base64 key: ${fix}`);
  return { key, source: file, created };
}
