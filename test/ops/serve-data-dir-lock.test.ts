import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runCli, startServe, type ServeProcess } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/postgres.js';

/**
 * `odoo-relay serve` holds its SQLite data folder: a second relay on the same folder would count
 * every key's rate limit in a budget of its own and take the first one's delivery claims.
 */
// Each CLI call starts a Node process that compiles TypeScript on the fly: slow on a busy machine.
describe('one serve per SQLite data folder', { timeout: 240_000 }, () => {
  const dirs: string[] = [];
  const running: ServeProcess[] = [];
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-lock-'));
    dirs.push(dir);
    return dir;
  };
  // A second serve that wrongly starts is ended rather than left running.
  const serveAgain = (env: NodeJS.ProcessEnv) => runCli({ PORT: '0', ...env }, ['serve'], undefined, { timeoutMs: 60_000 });
  const started = async (env: NodeJS.ProcessEnv) => {
    const s = await startServe(env);
    running.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of running) await s.kill();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it("refuses a second serve on the folder, naming the folder and the first one's pid; other commands still run", async () => {
    const dataDir = tempDir();
    const env = { DATA_DIR: dataDir };
    const first = await started(env);

    const second = await serveAgain(env);
    expect(second.code, second.stdout + second.stderr).toBe(2);
    expect(second.stdout).not.toContain('odoo-relay listening');
    const lines = second.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(dataDir);
    expect(lines[0]).toContain(`pid ${first.child.pid}`);

    const created = await runCli(env, ['users', 'create', '-u', 'ops', '--password-stdin'], 'a long enough password\n');
    expect(created.code, created.stderr).toBe(0);
    const listed = await runCli(env, ['users', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('ops');
    expect((await runCli(env, ['migrate'])).code).toBe(0);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const next = await started(env);
    next.child.kill('SIGINT');
    expect(await next.exited).toBe(0);
  });

  it('is free again once its relay was killed outright, and after a start that failed', async () => {
    const env = { DATA_DIR: tempDir() };
    const killed = await started(env);
    await killed.kill(); // SIGKILL: no exit handler runs

    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const failed = await serveAgain({ ...env, PORT: String((taken.address() as net.AddressInfo).port) });
    taken.close();
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).not.toContain('data_dir_in_use');

    const next = await started(env);
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  });

  it('lets several relays share a folder on PostgreSQL', async () => {
    const env = { DATA_DIR: tempDir(), DATABASE_URL: await createTestDatabase() };
    const first = await started(env);
    const second = await started(env);
    expect(second.url).not.toBe(first.url);
    for (const s of [first, second]) {
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(0);
    }
  });
});
