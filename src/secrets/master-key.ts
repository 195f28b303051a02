import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

/**
 * The master key comes from MASTER_KEY, or from DATA_DIR/master.key which is created on first
 * run with 0600 permissions. Losing it makes stored Odoo credentials unreadable, so the file is
 * never overwritten.
 */
export function loadMasterKey(opts: { masterKey?: string; dataDir: string }): Buffer {
  if (opts.masterKey) return Buffer.from(opts.masterKey, 'base64');
  const file = path.join(opts.dataDir, 'master.key');
  fs.mkdirSync(opts.dataDir, { recursive: true });
  try {
    const fd = fs.openSync(file, 'wx', 0o600);
    fs.writeSync(fd, crypto.randomBytes(32).toString('base64') + '\n');
    fs.closeSync(fd);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
  return key;
}
