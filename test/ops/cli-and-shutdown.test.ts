import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { httpGet, httpPost } from '../helpers/relay.js';
import { runCli, startServe, type ServeProcess } from '../helpers/cli.js';
import { openStorage } from '../../src/storage/database.js';

/** Runs the real CLI (`odoo-relay …`) as a user would, with a secret on stdin; its stdout, or throws with its stderr. */
async function cli(env: NodeJS.ProcessEnv, args: string[], stdin?: string): Promise<string> {
  const { code, stdout, stderr } = await runCli(env, args, stdin);
  if (code !== 0) throw new Error(`cli ${args.join(' ')} exited ${code}: ${stderr}`);
  return stdout;
}

// Each CLI call starts a Node process that compiles TypeScript on the fly: slow on a busy machine.
describe('the CLI and the serve process', { timeout: 180_000 }, () => {
  let sim: OdooSim;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let key: string;
  let server: ServeProcess | undefined;

  beforeAll(async () => {
    sim = await startOdooSim({ version: 18, automationNoise: 'none' });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-cli-'));
    env = { DATA_DIR: dataDir, LOG_LEVEL: 'info' };
  });
  afterAll(async () => {
    await server?.kill();
    await sim.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a user, an Odoo connection and a key; tests the connection', async () => {
    expect(await cli(env, ['users', 'create', '-u', 'ops', '--password-stdin'], 'a long enough password\n')).toMatch(/Created admin 'ops'/);
    // Like the dashboard's Save, `connections set` logs in first: a password Odoo refuses is not saved.
    const refused = await runCli(env, ['connections', 'set', '-u', 'ops', '--url', sim.url, '--db', 'odoo_demo', '--login', 'admin', '--secret-stdin'], 'wrong\n');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('error (odoo_auth_failed): Odoo rejected the login and password or API key; nothing was saved');
    expect(refused.stdout).not.toContain('Saved connection');
    await expect(cli(env, ['connections', 'test', '-u', 'ops'])).rejects.toThrow(/no_odoo_connection/);
    const saved = await cli(env, ['connections', 'set', '-u', 'ops', '--url', sim.url, '--db', 'odoo_demo', '--login', 'admin', '--secret-stdin'], 'admin\n');
    expect(saved).toContain(`admin@${sim.url}`);
    expect(saved).toMatch(/Logged in: Odoo 18\.0 over jsonrpc, uid 2/);
    expect(await cli(env, ['connections', 'test', '-u', 'ops'])).toMatch(/Connected: Odoo 18\.0 over jsonrpc, uid 2/);
    const created = await cli(env, ['keys', 'create', '-u', 'ops', '-n', 'ops key', '--rate-limit', '500']);
    key = /sk_live_[0-9A-Za-z]{40}/.exec(created)![0];
    const listed = await cli(env, ['keys', 'list']);
    expect(listed).toContain('ops key');
    expect(listed).toContain('500/min');
    expect(listed).not.toContain(key);
  });

  it('saves a connection to an Odoo it cannot reach, with a warning, since that says nothing about the credentials', async () => {
    // Users after the first are users unless --role admin says otherwise.
    expect(await cli(env, ['users', 'create', '-u', 'later', '--password-stdin'], 'a long enough password\n')).toMatch(/Created user 'later'/);
    const closed = `http://127.0.0.1:${await closedPort()}`;
    const r = await runCli(env, ['connections', 'set', '-u', 'later', '--url', closed, '--db', 'odoo_demo', '--login', 'admin', '--secret-stdin'], 'admin\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Saved connection`);
    expect(r.stderr).toMatch(/^warning \(odoo_unreachable\): saved without logging in: /m);
    expect(r.stderr).not.toContain('admin\n');
  });

  it('keeps the tuned protocol, timeout, concurrency and name when run again for a new password', async () => {
    expect(await cli(env, ['users', 'create', '-u', 'tuned', '--password-stdin'], 'a long enough password\n')).toMatch(/Created (admin|user) 'tuned'/);
    const set = ['connections', 'set', '-u', 'tuned', '--url', sim.url, '--db', 'odoo_demo', '--login', 'admin', '--secret-stdin'];
    await cli(env, [...set, '--protocol', 'jsonrpc', '--timeout', '5000', '--max-concurrent', '2'], 'admin\n');
    const storage = openStorage({ dataDir });
    const stored = () =>
      storage.db
        .selectFrom('odoo_connections')
        .innerJoin('users', 'users.id', 'odoo_connections.user_id')
        .select(['odoo_connections.name', 'protocol', 'timeout_ms', 'max_concurrent'])
        .where('users.username', '=', 'tuned')
        .executeTakeFirstOrThrow();
    try {
      const tuned = await storage.db.selectFrom('users').select('id').where('username', '=', 'tuned').executeTakeFirstOrThrow();
      await storage.db.updateTable('odoo_connections').set({ name: 'Production' }).where('user_id', '=', tuned.id).execute();
      await cli(env, set, 'admin\n');
      expect(await stored()).toEqual({ name: 'Production', protocol: 'jsonrpc', timeout_ms: 5000, max_concurrent: 2 });
      // What the command is told still wins.
      await cli(env, [...set, '--timeout', '7000'], 'admin\n');
      expect(await stored()).toMatchObject({ protocol: 'jsonrpc', timeout_ms: 7000, max_concurrent: 2 });
    } finally {
      await storage.close();
    }
  });

  it('turns HMAC on for an existing key with a new secret, printed once, and off again', async () => {
    const made = await cli(env, ['keys', 'create', '-u', 'ops', '-n', 'signed later']);
    const id = /id: (key_\S+)/.exec(made)![1]!;
    const hmacOf = async () => {
      const storage = openStorage({ dataDir });
      try {
        return (await storage.db.selectFrom('api_keys').select('hmac_secret_enc').where('id', '=', id).executeTakeFirstOrThrow()).hmac_secret_enc;
      } finally {
        await storage.close();
      }
    };
    expect(await hmacOf()).toBeNull();
    const on = await cli(env, ['keys', 'hmac', id, '--on']);
    const secret = /secret \(shown once\): (hmac_\S+)/.exec(on)![1]!;
    const stored = await hmacOf();
    // Stored encrypted, never as printed.
    expect(stored).not.toBeNull();
    expect(stored).not.toContain(secret);
    expect((await cli(env, ['keys', 'list'])).split('\n').find((line) => line.includes('signed later'))).toContain('hmac:on');
    expect(await cli(env, ['keys', 'hmac', id, '--off'])).toContain(`HMAC off for ${id}`);
    expect(await hmacOf()).toBeNull();
    const neither = await runCli(env, ['keys', 'hmac', id]);
    expect([neither.code, neither.stderr.trim()]).toEqual([1, 'error (invalid_request): Say --on (a new secret) or --off']);
  });

  it('refuses a key expiry that is not a date in the future instead of making a key that never expires', async () => {
    await expect(cli(env, ['keys', 'create', '-u', 'ops', '-n', 'typo', '--expires', 'next tuesday'])).rejects.toThrow(/Expiry must be a date in the future/);
    await expect(cli(env, ['keys', 'create', '-u', 'ops', '-n', 'past', '--expires', '2020-01-31'])).rejects.toThrow(/Expiry must be a date in the future/);
    const listed = await cli(env, ['keys', 'list']);
    expect(listed).not.toMatch(/typo|past/);
    const dated = await cli(env, ['keys', 'create', '-u', 'ops', '-n', 'dated', '--expires', '2099-06-30']);
    const prefix = /prefix: (\S+)/.exec(dated)![1];
    const storage = openStorage({ dataDir });
    try {
      const row = await storage.db.selectFrom('api_keys').select('expires_at').where('prefix', '=', prefix).executeTakeFirstOrThrow();
      expect(row.expires_at).toBe(Date.parse('2099-06-30'));
    } finally {
      await storage.close();
    }
  });

  it('sets a forgotten password, and refuses malformed options with a message instead of a stack trace or a bad save', async () => {
    expect(await cli(env, ['users', 'set-password', '-u', 'later', '--password-stdin'], 'a brand new long password\n')).toMatch(/Password of 'later' set/);
    const storage = openStorage({ dataDir });
    try {
      const { checkCredentials } = await import('../../src/auth/users.js');
      expect(await checkCredentials(storage.db, 'later', 'a brand new long password')).not.toBeNull();
      expect(await checkCredentials(storage.db, 'later', 'a long enough password')).toBeNull();
    } finally {
      await storage.close();
    }
    const weak = await runCli(env, ['users', 'set-password', '-u', 'later', '--password-stdin'], 'short\n');
    expect(weak.code).toBe(1);
    expect(weak.stderr).toMatch(/^error \(invalid_request\): /);

    // Numbers and scopes are named by their flags; no exponent, no empty scope list read as the default.
    for (const [args, message] of [
      [['--rate-limit', '1e3'], "error (invalid_request): --rate-limit must be a whole number in digits, got '1e3'"],
      [['--scopes', ''], 'error (invalid_request): --scopes needs at least one of'],
      [['--methods', ''], 'error (invalid_request): --methods needs at least one entry'],
      [['--models', ' , '], 'error (invalid_request): --models needs at least one entry'],
    ] as const) {
      const refused = await runCli(env, ['keys', 'create', '-u', 'ops', '-n', 'odd', ...args]);
      expect(refused.code, args.join(' ')).toBe(1);
      expect(refused.stderr).toContain(message);
    }
    const timeout = await runCli(env, ['subscriptions', 'create', '-u', 'ops', '-m', 'res.partner', '--url', 'https://example.com/hook', '--timeout', 'abc']);
    expect(timeout.code).toBe(1);
    expect(timeout.stderr).toContain("error (invalid_request): --timeout must be a whole number in digits, got 'abc'");

    const models = await runCli(env, ['keys', 'create', '-u', 'ops', '-n', 'odd', '--models', 'bad model!']);
    expect(models.code).toBe(1);
    expect(models.stderr).toContain("error (invalid_request): Allow-list entries are names like res.partner, sale.* or search_read, got 'bad model!'");
    // A scope or an entry given twice is kept once.
    await cli(env, ['keys', 'create', '-u', 'ops', '-n', 'twice', '-s', 'read,read,webhook,read', '--models', 'res.partner,res.partner']);
    const twice = (await cli(env, ['keys', 'list'])).split('\n').find((line) => line.includes('twice'))!;
    expect(twice).toContain('read,webhook ');
    const stored = openStorage({ dataDir });
    try {
      expect(await stored.db.selectFrom('api_keys').select(['scopes', 'allowed_models']).where('name', '=', 'twice').executeTakeFirstOrThrow()).toEqual({
        scopes: '["read","webhook"]',
        allowed_models: '["res.partner"]',
      });
    } finally {
      await stored.close();
    }
    const sub = ['subscriptions', 'create', '-u', 'ops', '-m', 'res.partner', '--url', 'https://example.com/hook'];
    const header = await runCli(env, [...sub, '--header', 'NoColonHere']);
    expect(header.code).toBe(1);
    expect(header.stderr).toContain("error (invalid_request): --header must be 'Name: value', got 'NoColonHere'");
    const domain = await runCli(env, [...sub, '--domain', 'not json']);
    expect(domain.code).toBe(1);
    expect(domain.stderr).toMatch(/^error \(invalid_request\): --domain must be JSON/);
    expect(domain.stderr).not.toContain('    at ');
  });

  it("creates, lists and deletes a subscription; the delete also removes the automation rules it made in Odoo", async () => {
    // What the serving relay would be given: a loopback receiver allowed, an ingest URL for push capture.
    const events = { ...env, EVENTS_ALLOW_PRIVATE_TARGETS: '127.0.0.0/8', EVENTS_INGEST_URL: 'http://127.0.0.1:8787' };
    const target = 'http://127.0.0.1:9/orders';
    const targetPattern = target.replace(/\./g, '\\.');
    const created = await cli(events, ['subscriptions', 'create', '-u', 'ops', '-m', 'res.partner', '--url', target, '-e', 'create,unlink', '--format', 'xml']);
    const id = new RegExp(`^Created (sub_\\S+): res\\.partner → ${targetPattern} \\(capture: push\\)$`, 'm').exec(created)![1]!;
    expect(created).toMatch(/^Signing secret \(shown once, store it now\): \S+$/m);
    const rules = () => sim.engine.execute(2, 'base.automation', 'search_read', [[['name', 'like', id]]], { fields: ['trigger'] }) as { trigger: string }[];
    expect(rules().map((r) => r.trigger).sort()).toEqual(['on_create_or_write', 'on_unlink']);

    const listed = await cli(events, ['subscriptions', 'list', '-u', 'ops']);
    expect(listed).toMatch(new RegExp(`^${id}\\s+res\\.partner\\s+create,unlink\\s+push\\s+xml\\s+active\\s+${targetPattern}$`, 'm'));

    expect(await cli(events, ['subscriptions', 'delete', id])).toContain(`Deleted ${id}`);
    expect(await cli(events, ['subscriptions', 'list'])).not.toContain(id);
    // An empty list says so, rather than printing nothing.
    expect((await cli(events, ['subscriptions', 'list', '-u', 'ops'])).trim()).toBe('No subscriptions.');
    // Rules left behind would keep posting every partner change to the relay's ingest route.
    expect(rules()).toEqual([]);
    expect(sim.engine.execute(2, 'ir.actions.server', 'search', [[['name', 'like', id]]], {})).toEqual([]);
  });

  it('backs up the database consistently (what is still in the WAL included), and the backup restores', async () => {
    const restored = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-restored-'));
    try {
      await cli(env, ['keys', 'create', '-u', 'ops', '-n', 'made just before the backup']);
      const target = path.join(restored, 'relay.db');
      expect(await cli(env, ['backup', target])).toContain(`to ${target}`);
      expect(fs.statSync(target).mode & 0o777).toBe(0o600);
      const again = await runCli(env, ['backup', target]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('exists already');
      // A folder that is not there, or one nothing may be written to: a message, no stack trace, no partial file.
      const noFolder = await runCli(env, ['backup', path.join(restored, 'no', 'such', 'x.db')]);
      expect(noFolder.code).toBe(1);
      expect(noFolder.stderr).toContain(`error (invalid_request): ${path.join(restored, 'no', 'such')} is not a folder`);
      const unwritable = await runCli(env, ['backup', '/proc/relay-backup.db']);
      expect(unwritable.code).toBe(1);
      expect(unwritable.stderr).toMatch(/^error \(invalid_request\): Cannot write the backup to \/proc\/relay-backup\.db/);
      expect(unwritable.stderr + noFolder.stderr).not.toContain('    at ');
      fs.copyFileSync(path.join(dataDir, 'master.key'), path.join(restored, 'master.key'));
      expect(await cli({ ...env, DATA_DIR: restored }, ['keys', 'list'])).toContain('made just before the backup');
      const nowhere = await runCli({ ...env, DATA_DIR: path.join(restored, 'missing') }, ['backup', path.join(restored, 'x.db')]);
      expect(nowhere.code).toBe(1);
      expect(nowhere.stderr).toContain('No database at');
      // Nor does any other command make a new database (and master key) in a mistyped DATA_DIR.
      const mistyped = await runCli({ ...env, DATA_DIR: path.join(restored, 'mistyped') }, ['keys', 'list']);
      expect(mistyped.code).toBe(1);
      expect(mistyped.stderr).toContain(`error (not_found): No database at ${path.join(restored, 'mistyped', 'relay.db')}`);
      expect(fs.existsSync(path.join(restored, 'mistyped'))).toBe(false);
    } finally {
      fs.rmSync(restored, { recursive: true, force: true });
    }
  });

  it('refuses a wrong environment with a message naming the variable', async () => {
    await expect(cli({ ...env, PORT: 'http' }, ['users', 'list'])).rejects.toThrow(/PORT/);
  });

  it('serves, then on SIGTERM finishes the in-flight request before exiting 0', async () => {
    server = await startServe(env);
    expect((await httpGet(`${server.url}/readyz`)).status).toBe(200);

    sim.faults.setLatency(800);
    const slow = httpPost(`${server.url}/api/n8n/webhook`, { action: 'execute_method', model: 'res.partner', method: 'search_count', args: [[]] }, { authorization: `Bearer ${key}` });
    await new Promise((r) => setTimeout(r, 200));
    server.child.kill('SIGTERM');
    const answer = await slow;
    sim.faults.reset();
    expect(answer.status).toBe(200);
    expect(answer.body.success).toBe(true);
    expect(await server.exited).toBe(0);
    // Structured JSON logs, with no secret in them.
    const logs = server.stdout();
    server = undefined;
    const lines = logs.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.some((l) => l.msg === 'shutting down: finishing in-flight requests')).toBe(true);
    expect(logs).not.toContain(key);
  });

  it('kept the request in the request log across the restart', async () => {
    const storage = openStorage({ dataDir });
    try {
      const rows = await storage.db.selectFrom('request_log').select(['action', 'method', 'status']).execute();
      expect(rows).toEqual([{ action: 'execute_method', method: 'search_count', status: 200 }]);
    } finally {
      await storage.close();
    }
  });
});

/** A loopback port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
