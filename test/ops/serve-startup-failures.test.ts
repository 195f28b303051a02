import { afterAll, describe, expect, inject, it } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runCli, type CliResult } from '../helpers/cli.js';

/**
 * A relay that cannot start says why in a line or two naming the setting to change, and exits 2
 * (as a wrong variable does); never a stack trace, never a password.
 */
function expectStartupRefusal(r: CliResult, setting: string, mentions: string[] = []): void {
  const text = r.stdout + r.stderr;
  expect(r.code, text).toBe(2);
  expect(r.stdout).not.toContain('odoo-relay listening');
  const lines = r.stderr.trim().split('\n');
  expect(lines.length, r.stderr).toBeLessThanOrEqual(2);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(lines[0]).toContain(setting);
  for (const m of mentions) expect(r.stderr).toContain(m);
}

/** A port something else listens on. */
async function takenPort(): Promise<{ port: number; close(): void }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

// Each CLI call starts a Node process that compiles TypeScript on the fly: slow on a busy machine.
describe('start-up failures of odoo-relay serve', { timeout: 240_000 }, () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-start-'));
  // The relay run as another user must reach the folders in it.
  fs.chmodSync(parent, 0o755);
  afterAll(() => fs.rmSync(parent, { recursive: true, force: true }));
  // A serve that wrongly starts is ended rather than left running.
  const serve = (env: NodeJS.ProcessEnv, options: { uid?: number; gid?: number } = {}) =>
    runCli({ PORT: '0', LOG_LEVEL: 'info', ...env }, ['serve'], undefined, { timeoutMs: 60_000, ...options });

  it('DATA_DIR the relay may not write', async () => {
    const dataDir = path.join(parent, 'read-only');
    fs.mkdirSync(dataDir);
    fs.chmodSync(dataDir, 0o555);
    // root writes anywhere: the relay runs as nobody to meet the refusal a real user meets.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    expectStartupRefusal(await serve({ DATA_DIR: dataDir }, asNobody), 'DATA_DIR', [dataDir, 'permission denied']);
  });

  it('DATA_DIR that is a file', async () => {
    const file = path.join(parent, 'a-file');
    fs.writeFileSync(file, 'not a folder\n');
    expectStartupRefusal(await serve({ DATA_DIR: file }), 'DATA_DIR', [file]);
    // The other commands open the same folder and say the same.
    expectStartupRefusal(await runCli({ DATA_DIR: file }, ['users', 'list']), 'DATA_DIR', [file]);
  });

  it('PORT another program listens on', async () => {
    const taken = await takenPort();
    try {
      expectStartupRefusal(await serve({ DATA_DIR: path.join(parent, 'port'), PORT: String(taken.port) }), 'PORT', [String(taken.port)]);
    } finally {
      taken.close();
    }
  });

  it('HOST that is not an address of this machine', async () => {
    // 192.0.2.0/24 is reserved for documentation (RFC 5737): never a local address.
    expectStartupRefusal(await serve({ DATA_DIR: path.join(parent, 'host'), HOST: '192.0.2.1' }), 'HOST', ['192.0.2.1']);
  });

  it('DATABASE_URL where no PostgreSQL listens, without its password', async () => {
    const closed = await takenPort();
    closed.close();
    const r = await serve({ DATA_DIR: path.join(parent, 'pg'), DATABASE_URL: `postgres://relay:no-such-secret-pw@127.0.0.1:${closed.port}/relay` });
    expectStartupRefusal(r, 'DATABASE_URL', [`127.0.0.1:${closed.port}`]);
    expect(r.stdout + r.stderr).not.toContain('no-such-secret-pw');
  });

  it('DATABASE_URL with a wrong password, without the password', async () => {
    const url = new URL(inject('postgresUrl'));
    url.password = 'wrong-secret-pw';
    url.pathname = '/postgres';
    const r = await serve({ DATA_DIR: path.join(parent, 'pg-password'), DATABASE_URL: url.href });
    expectStartupRefusal(r, 'DATABASE_URL', ['password']);
    expect(r.stdout + r.stderr).not.toContain('wrong-secret-pw');
  });
});
